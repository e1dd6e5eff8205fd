//! The view models of form inputs that pages share: text inputs with their label and error,
//! selects and their options, checkboxes (and radio buttons, which read the same).

use crate::context::Ctx;
use crate::pages::FieldErrors;

/// One option of a select.
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A select's options from `(value, label)` pairs, the one whose value is `selected` chosen.
pub fn options(values: impl IntoIterator<Item = (String, String)>, selected: &str) -> Vec<SelectOption> {
    values
        .into_iter()
        .map(|(value, label)| SelectOption {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

/// A select with its label, options and error.
pub struct Select {
    pub id: String,
    pub name: String,
    pub label: String,
    pub options: Vec<SelectOption>,
    pub error: Option<String>,
}

impl Select {
    pub fn new(name: &str, label: String, options: Vec<SelectOption>, errors: &FieldErrors) -> Self {
        Self {
            id: format!("f-{name}"),
            name: name.to_owned(),
            label,
            options,
            error: errors.get(name).cloned(),
        }
    }
}

/// A checkbox (or radio button): what it sends when ticked, its label, whether it is ticked.
pub struct Checkbox {
    pub id: String,
    pub name: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

impl Checkbox {
    pub fn new(name: &str, value: &str, label: String, checked: bool) -> Self {
        Self {
            id: format!("f-{}-{value}", name.replace(['[', ']', '.'], "-")),
            name: name.to_owned(),
            value: value.to_owned(),
            label,
            checked,
        }
    }
}

/// One form input with its label, kept value and error.
pub struct Input {
    pub id: String,
    pub name: String,
    pub label: String,
    pub value: String,
    pub kind: &'static str,
    pub error: Option<String>,
    pub required: bool,
}

impl Input {
    /// An input labelled with the message `label`.
    pub fn new(ctx: &Ctx, name: &str, label: &str, value: &str, kind: &'static str, errors: &FieldErrors) -> Self {
        Self {
            id: format!(
                "f-{}",
                name.replace(['[', ']', '.'], "-")
                    .replace("--", "-")
                    .trim_end_matches('-')
            ),
            name: name.to_owned(),
            label: ctx.t(label),
            value: value.to_owned(),
            kind,
            error: errors.get(name).cloned(),
            required: false,
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same input, inside the form of `prefix` (several forms on one page).
    pub fn within(mut self, prefix: &str) -> Self {
        self.id = format!("{}-{prefix}", self.id);
        self
    }
}
