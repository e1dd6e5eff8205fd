//! GeoReport v2 answers as one tree, written as JSON or as XML in the specification's
//! element names and order (the order of the tree).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tawasul_domain::text::xml_escape_into;

/// A value of an answer. Objects keep their fields' order; a list names the element each of
/// its items is written as in XML (`services` holds `service`s).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Object(Vec<(&'static str, Value)>),
    List(&'static str, Vec<Value>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        if n.is_finite() {
            Value::Float(n)
        } else {
            Value::Null
        }
    }
}

/// The two formats of the specification, named by the resource's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `services.json` → (`services`, JSON). An unknown or missing extension is `None`.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        let (stem, ext) = file.rsplit_once('.')?;
        let format = match ext {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return None,
        };
        Some((stem, format))
    }
}

/// An answer: a status, the XML root element's name and the tree.
pub struct Answer {
    pub status: StatusCode,
    pub root: &'static str,
    pub value: Value,
    pub format: Format,
}

impl Answer {
    pub fn ok(format: Format, root: &'static str, value: Value) -> Self {
        Self {
            status: StatusCode::OK,
            root,
            value,
            format,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let (content_type, body) = match self.format {
            Format::Json => ("application/json; charset=utf-8", json(&self.value)),
            Format::Xml => ("text/xml; charset=utf-8", xml(self.root, &self.value)),
        };
        (self.status, [(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

pub fn json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Text(s) => out.push_str(&serde_json::Value::from(s.as_str()).to_string()),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(n) => out.push_str(&serde_json::Value::from(*n).to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Object(fields) => {
            out.push('{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(*name).to_string());
                out.push(':');
                write_json(out, v);
            }
            out.push('}');
        }
        Value::List(_, items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, v);
            }
            out.push(']');
        }
    }
}

pub fn xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_xml(&mut out, root, value);
    out
}

fn write_xml(out: &mut String, name: &str, value: &Value) {
    let text = match value {
        Value::Null => None,
        Value::Text(s) if s.is_empty() => None,
        Value::Text(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(n) => Some(serde_json::Value::from(*n).to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(fields) => {
            out.push_str(&format!("<{name}>"));
            for (field, v) in fields {
                write_xml(out, field, v);
            }
            out.push_str(&format!("</{name}>"));
            return;
        }
        Value::List(item, items) => {
            if items.is_empty() {
                out.push_str(&format!("<{name}/>"));
                return;
            }
            out.push_str(&format!("<{name}>"));
            for v in items {
                write_xml(out, item, v);
            }
            out.push_str(&format!("</{name}>"));
            return;
        }
    };
    match text {
        None => out.push_str(&format!("<{name}/>")),
        Some(text) => {
            out.push_str(&format!("<{name}>"));
            xml_escape_into(out, &text);
            out.push_str(&format!("</{name}>"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tree_is_written_in_both_formats_in_order() {
        let tree = Value::List(
            "service",
            vec![Value::Object(vec![
                ("service_code", "a<b".into()),
                ("metadata", Value::Bool(true)),
                ("keywords", Value::Null),
                ("lat", 26.5.into()),
                ("order", Value::Int(1)),
            ])],
        );
        assert_eq!(
            json(&tree),
            r#"[{"service_code":"a<b","metadata":true,"keywords":null,"lat":26.5,"order":1}]"#
        );
        assert_eq!(
            xml("services", &tree),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><service_code>a&lt;b</service_code>\
             <metadata>true</metadata><keywords/><lat>26.5</lat><order>1</order></service></services>"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped_and_the_rest_escaped() {
        let mut out = String::new();
        xml_escape_into(&mut out, "\u{1}x & 'y' \"z\" \u{202B}عربي");
        assert_eq!(out, "x &amp; &apos;y&apos; &quot;z&quot; \u{202B}عربي");
        assert_eq!(Format::split("requests.xml"), Some(("requests", Format::Xml)));
        assert_eq!(Format::split("requests.html"), None);
        assert_eq!(Format::split("requests"), None);
    }
}
