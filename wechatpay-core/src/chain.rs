//! The generic call, for endpoints not (yet) in the spec, in the seeds' `chain('v3/…')` style:
//! a path template with `{params}`, query pairs, headers, a host, a method and a JSON body. It is
//! an [`Operation`] like any generated one, so it is filled, checked, signed and verified by the
//! same pipeline; an unfilled `{param}` is refused before anything is signed or sent.

use std::borrow::Cow;

use bytes::Bytes;
use http::HeaderName;

use crate::error::Error;
use crate::operation::{Body, Host, Method, Operation, Request};
use crate::pipeline::Response;

/// A call being built on a client `C` (the async `Client` or `blocking::Client`). Made by
/// `chain(path_template)`; sent by `get`, `post`, `put`, `patch` or `delete` (defined next to
/// each client), which answer the JSON body, or `None` for an empty answer.
#[derive(Debug)]
#[must_use = "a chain does nothing until get/post/put/patch/delete is called"]
pub struct Chain<'c, C> {
    client: &'c C,
    call: GenericCall,
}

/// The data of a generic call.
#[derive(Debug, Clone)]
struct GenericCall {
    id: String,
    template: String,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, String)>,
    host: Host,
    method: Method,
    body: Option<serde_json::Value>,
}

impl<'c, C> Chain<'c, C> {
    pub(crate) fn new(client: &'c C, path_template: &str) -> Self {
        Self {
            client,
            call: GenericCall {
                id: String::new(),
                template: path_template.to_owned(),
                params: Vec::new(),
                query: Vec::new(),
                headers: Vec::new(),
                host: Host::Mainland,
                method: Method::GET,
                body: None,
            },
        }
    }

    /// Sets a `{name}` path parameter (percent-encoded when sent; empty, `.` and `..` refused).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call.params.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a query pair.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call.query.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a request header (not one the client sets itself, such as `Authorization`).
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.call.headers.push((name, value.into()));
        self
    }

    /// Chooses the host (mainland by default).
    pub fn host(mut self, host: Host) -> Self {
        self.call.host = host;
        self
    }

    /// The client and the finished call, ready to execute.
    pub(crate) fn finish(
        mut self,
        method: Method,
        body: Option<serde_json::Value>,
    ) -> (&'c C, impl Operation<Output = Option<serde_json::Value>>) {
        self.call.id = format!("{method} {}", self.call.template);
        self.call.method = method;
        self.call.body = body;
        (self.client, self.call)
    }
}

impl Operation for GenericCall {
    type Output = Option<serde_json::Value>;

    fn request(&self) -> Request<'_> {
        let headers = (self.headers.iter())
            .map(|(k, v)| (k.clone(), Cow::Borrowed(v.as_str())))
            .collect();
        let request = Request::new(&self.id, self.method.clone(), &self.template)
            .with_host(self.host)
            .with_path_params(pairs(&self.params))
            .with_query(pairs(&self.query))
            .with_headers(headers);
        match &self.body {
            Some(value) => request.with_body(Body::json(value, &[])),
            None => request,
        }
    }

    fn decode(&self, body: &Bytes) -> Result<Self::Output, serde_json::Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            serde_json::from_slice(body).map(Some)
        }
    }
}

fn pairs(pairs: &[(String, String)]) -> Vec<(&str, Cow<'_, str>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str())))
        .collect()
}

/// The answer of a generic call.
pub type ChainResult = Result<Response<Option<serde_json::Value>>, Error>;
