//! Calls to endpoints not yet in the spec, in the seeds' `chain('v3/…')` style: a path template
//! with `{params}`, a method, and optionally a JSON body or query. Checked when built, so an
//! unfilled `{param}` is an error before anything is signed or sent.

use crate::error::Error;
use crate::operation::{push_path_segment, Host, Method, Operation};

/// A generic call, ready to execute. Built by [`GenericCallBuilder::build`] (or by the clients'
/// `chain`).
#[derive(Debug, Clone, PartialEq)]
pub struct GenericCall {
    id: String,
    method: Method,
    host: Host,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<serde_json::Value>,
}

/// Collects the parts of a [`GenericCall`].
#[derive(Debug, Clone)]
pub struct GenericCallBuilder {
    template: String,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    host: Host,
}

impl GenericCall {
    /// Starts a call to `path_template`, e.g. `v3/papay/contracts/{contract_id}/fail-notify`
    /// (the leading `/` is optional).
    pub fn builder(path_template: &str) -> GenericCallBuilder {
        GenericCallBuilder {
            template: format!("/{}", path_template.trim_start_matches('/')),
            params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            host: Host::Mainland,
        }
    }
}

impl GenericCallBuilder {
    /// Sets a `{name}` path parameter.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a query pair.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Chooses the host (mainland by default).
    pub fn host(mut self, host: Host) -> Self {
        self.host = host;
        self
    }

    /// Fills the template. Every `{name}` needs a parameter and every parameter a `{name}`.
    pub fn build(
        self,
        method: Method,
        body: Option<serde_json::Value>,
    ) -> Result<GenericCall, Error> {
        let mut path = String::new();
        let mut rest = self.template.as_str();
        let mut used = Vec::new();
        while let Some((literal, after)) = rest.split_once('{') {
            path.push_str(literal);
            let (name, tail) = after.split_once('}').ok_or_else(|| {
                Error::Config(format!(
                    "unclosed `{{` in path template `{}`",
                    self.template
                ))
            })?;
            let value = self.params.iter().find(|(k, _)| k == name).ok_or_else(|| {
                Error::Config(format!(
                    "path template `{}` needs the parameter `{name}`",
                    self.template
                ))
            })?;
            push_path_segment(&mut path, &value.1);
            used.push(name.to_owned());
            rest = tail;
        }
        path.push_str(rest);
        if let Some((unused, _)) = self.params.iter().find(|(k, _)| !used.contains(k)) {
            return Err(Error::Config(format!(
                "path template `{}` has no `{{{unused}}}`",
                self.template
            )));
        }
        Ok(GenericCall {
            id: format!("{} {}", method.as_str(), self.template),
            method,
            host: self.host,
            path,
            query: self.query,
            headers: self.headers,
            body,
        })
    }
}

impl Operation for GenericCall {
    type Body = serde_json::Value;
    type Output = Option<serde_json::Value>;

    fn id(&self) -> &str {
        &self.id
    }
    fn method(&self) -> Method {
        self.method
    }
    fn host(&self) -> Host {
        self.host
    }
    fn path(&self) -> String {
        self.path.clone()
    }
    fn query(&self) -> Vec<(String, String)> {
        self.query.clone()
    }
    fn headers(&self) -> Vec<(String, String)> {
        self.headers.clone()
    }
    fn body(&self) -> Option<&Self::Body> {
        self.body.as_ref()
    }
    fn idempotent(&self) -> bool {
        self.method != Method::Post && self.method != Method::Patch
    }
    fn decode(&self, body: &[u8]) -> Result<Self::Output, serde_json::Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            serde_json::from_slice(body).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_encodes_parameters() {
        let call = GenericCall::builder("v3/papay/contracts/{contract_id}/fail-notify")
            .param("contract_id", "a/b c")
            .build(Method::Post, None)
            .unwrap();
        assert_eq!(call.path(), "/v3/papay/contracts/a%2Fb%20c/fail-notify");
        assert_eq!(
            call.id(),
            "POST /v3/papay/contracts/{contract_id}/fail-notify"
        );
    }

    #[test]
    fn missing_and_unused_parameters_are_errors() {
        let missing = GenericCall::builder("/v3/x/{id}")
            .build(Method::Get, None)
            .unwrap_err();
        assert!(
            missing.to_string().contains("needs the parameter `id`"),
            "{missing}"
        );
        let unused = GenericCall::builder("/v3/x")
            .param("id", "1")
            .build(Method::Get, None)
            .unwrap_err();
        assert!(unused.to_string().contains("has no `{id}`"), "{unused}");
    }

    #[test]
    fn empty_answers_decode_to_none() {
        let call = GenericCall::builder("/v3/x")
            .build(Method::Delete, None)
            .unwrap();
        assert_eq!(call.decode(b"").unwrap(), None);
        assert_eq!(
            call.decode(br#"{"a":1}"#).unwrap(),
            Some(serde_json::json!({"a": 1}))
        );
    }
}
