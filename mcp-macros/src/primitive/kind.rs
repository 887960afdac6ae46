//! Which of the two macros is being expanded: what their messages name.

/// Which macro.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Prompt,
    Resource,
}

impl Kind {
    /// The attribute, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Prompt => "#[prompt]",
            Kind::Resource => "#[resource]",
        }
    }

    /// An example of `name = ...`, for messages.
    pub(crate) fn example_name(self) -> &'static str {
        match self {
            Kind::Prompt => "name = \"code_review\"",
            Kind::Resource => "name = \"user_profile\"",
        }
    }
}
