package vlens

// Test helpers that the external test package (vlens_test) shares with the
// internal one. This file is compiled only with the tests.

// SyncBuffer is syncBuffer, for vlens_test.
type SyncBuffer = syncBuffer

// Prompt is prompt, for vlens_test.
const Prompt = prompt
