//! The sync engine against the sandboxes over HTTP, on both backends.
