//! Small helpers around `std::sync`.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, going on after a panic elsewhere poisoned it: the data every lock here
/// guards stays consistent between statements, so a poisoned lock holds nothing broken.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
