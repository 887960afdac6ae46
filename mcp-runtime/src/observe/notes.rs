//! What the layers a call went through tell its request's span and metrics: whether a timeout
//! ended it, whether the result cache answered it, the size of the batch it ran in.
//!
//! Kept in the call's context (one atomic word) because the layers see the call, not the
//! request it came in; the request reads the notes once, when it is answered.

use std::sync::atomic::{AtomicU32, Ordering};

const TIMED_OUT: u32 = 1;
const CACHE_HIT: u32 = 1 << 1;
const CACHE_MISS: u32 = 1 << 2;
/// The batch size takes the bits above the flags.
const BATCH_SHIFT: u32 = 3;

/// The notes of one call.
#[derive(Debug, Default)]
pub(crate) struct CallNotes(AtomicU32);

impl CallNotes {
    /// A timeout ended the call.
    pub(crate) fn timed_out(&self) {
        self.0.fetch_or(TIMED_OUT, Ordering::Relaxed);
    }

    /// The result cache answered the call (`hit`) or let it run.
    pub(crate) fn cache(&self, hit: bool) {
        self.0
            .fetch_or(if hit { CACHE_HIT } else { CACHE_MISS }, Ordering::Relaxed);
    }

    /// The call ran in a batch of `size` calls.
    pub(crate) fn batch(&self, size: usize) {
        let size = u32::try_from(size)
            .unwrap_or(u32::MAX)
            .min(u32::MAX >> BATCH_SHIFT);
        self.0.fetch_or(size << BATCH_SHIFT, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> Noted {
        let bits = self.0.load(Ordering::Relaxed);
        Noted {
            timed_out: bits & TIMED_OUT != 0,
            cache: match (bits & CACHE_HIT != 0, bits & CACHE_MISS != 0) {
                (true, _) => Some(true),
                (false, true) => Some(false),
                (false, false) => None,
            },
            batch: match bits >> BATCH_SHIFT {
                0 => None,
                size => Some(size),
            },
        }
    }
}

/// The notes, read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Noted {
    pub timed_out: bool,
    /// `Some(true)` for a cache hit, `Some(false)` for a miss.
    pub cache: Option<bool>,
    pub batch: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_read_back_as_written() {
        let notes = CallNotes::default();
        assert_eq!(notes.read(), Noted::default());
        notes.cache(false);
        notes.batch(37);
        notes.timed_out();
        assert_eq!(
            notes.read(),
            Noted {
                timed_out: true,
                cache: Some(false),
                batch: Some(37)
            }
        );
        let hit = CallNotes::default();
        hit.cache(true);
        assert_eq!(hit.read().cache, Some(true));
    }
}
