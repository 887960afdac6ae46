//! Small helpers around `std::sync`.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, going on after a panic elsewhere poisoned it: the data every lock here
/// guards stays consistent between statements, so a poisoned lock holds nothing broken.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// 64 random bits from the operating system.
#[cfg(feature = "redis")]
pub(crate) fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    u64::from_le_bytes(bytes)
}
