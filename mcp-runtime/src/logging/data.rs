//! An event's message and fields as the `data` object of a `notifications/message`, serialized
//! straight from the event: nothing is built for a message the call's queue drops.

use std::fmt;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::Event;

/// Serializes as `{"message": ..., "field": value, ...}`.
pub(super) struct EventData<'a>(pub(super) &'a Event<'a>);

impl Serialize for EventData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut writer = FieldWriter {
            map: &mut map,
            error: None,
        };
        self.0.record(&mut writer);
        if let Some(error) = writer.error {
            return Err(error);
        }
        map.end()
    }
}

/// Writes each field into the map; keeps the first error (`Visit` cannot return one).
struct FieldWriter<'a, M: SerializeMap> {
    map: &'a mut M,
    error: Option<M::Error>,
}

impl<M: SerializeMap> FieldWriter<'_, M> {
    fn entry<V: Serialize + ?Sized>(&mut self, field: &Field, value: &V) {
        let name = field.name();
        // The fields `tracing-log` adds to events bridged from the `log` crate (module path,
        // file, line) say where, not what.
        if self.error.is_some() || name.starts_with("log.") {
            return;
        }
        if let Err(error) = self.map.serialize_entry(name, value) {
            self.error = Some(error);
        }
    }
}

impl<M: SerializeMap> Visit for FieldWriter<'_, M> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.entry(field, &value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field, &value);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.entry(field, &value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.entry(field, &value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field, &value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.entry(field, value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.entry(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // The message arrives here as `format_args!`, whose `Debug` is its text.
        self.entry(field, &format_args!("{value:?}"));
    }
}
