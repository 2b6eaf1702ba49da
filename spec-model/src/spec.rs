//! The spec model: the subset of OpenAPI 3.0.3 that WeChat Pay endpoints use, plus our typed
//! `x-wechatpay-…` extensions. Every struct denies unknown fields, so a typo such as `requried:`
//! or an unknown `x-` key is a located error rather than a silently ignored line.

use indexmap::IndexMap;
use serde::Deserialize;

/// One spec file: one API group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Must be `3.0.x`.
    pub openapi: String,
    /// Title, version and description of the group.
    pub info: Info,
    /// The host of every operation in this file; absent means the mainland host.
    #[serde(default)]
    pub servers: Vec<Server>,
    /// Tags (documentation only).
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The operations, keyed by path template.
    #[serde(default)]
    pub paths: IndexMap<String, PathItem>,
    /// Shared schemas and responses.
    #[serde(default)]
    pub components: Components,
    /// `x-wechatpay-events`: the notifications this group sends, keyed by `event_type`.
    #[serde(rename = "x-wechatpay-events", default)]
    pub events: IndexMap<String, EventSpec>,
    /// `x-wechatpay-resources`: what the platform keeps for this group's operations (orders,
    /// refunds, transfer bills…), keyed by a name unique across the spec. Read by the mock.
    #[serde(rename = "x-wechatpay-resources", default)]
    pub resources: IndexMap<String, ResourceSpec>,
}

/// A resource the platform keeps, and the state machine it follows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// The members that name one: the merchant's own number first (`out_trade_no`), then the
    /// ids the platform issues (`transaction_id`).
    pub keys: Vec<String>,
    /// Ids the platform issues at creation: member → template (`{n:K}` digits, `{hex:K}`,
    /// `{alnum:K}`, `{b64:K}`, `{date}` = yyyyMMdd, `{time}` = yyyyMMddHHmmss, literal text).
    #[serde(default)]
    pub issues: IndexMap<String, String>,
    /// The member that holds the state.
    pub state: String,
    /// The state at creation.
    pub initial: String,
    /// Members a resource shows in a state: state → object.
    #[serde(default)]
    pub in_state: IndexMap<String, serde_json::Value>,
    /// The member stamped with the time a state was entered: state → member.
    #[serde(default)]
    pub stamps: IndexMap<String, String>,
    /// Members derived from others (or constants), applied in order; none overwrites.
    #[serde(default)]
    pub copies: Vec<CopySpec>,
    /// A resource left in a state too long moves on by itself.
    #[serde(default)]
    pub expiry: Option<ExpirySpec>,
    /// The JSON pointer, into the creating request, of the amount children draw from.
    #[serde(default)]
    pub budget: Option<String>,
    /// The resource this one is created against (a refund against its order).
    #[serde(default)]
    pub parent: Option<ParentSpec>,
    /// What a test can make happen (`MockPlatform::scenario`): name → transition.
    #[serde(default)]
    pub scenarios: IndexMap<String, ScenarioSpec>,
    /// The answer to a query or change of one that does not exist.
    pub not_found: RefusalSpec,
    /// The answer to a creation repeating a key with other values.
    pub conflict: RefusalSpec,
    /// A creation repeated, with the same values, once the resource is in one of these states:
    /// state → the answer (a paid or closed order is not placed again).
    #[serde(default)]
    pub repeat: IndexMap<String, RefusalSpec>,
}

/// A member derived at answer time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    /// JSON pointer of the member written.
    pub to: String,
    /// JSON pointer of the member read (or `value`).
    #[serde(default)]
    pub from: Option<String>,
    /// A constant (or `from`).
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    /// Only in these states (all when empty).
    #[serde(default)]
    pub states: Vec<String>,
}

/// `expiry`: after `after` seconds (or at the RFC 3339 time in request member `field`), a
/// resource in one of `from` moves to `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpirySpec {
    /// The request member holding the expiry time, when the merchant may set it.
    #[serde(default)]
    pub field: Option<String>,
    /// Seconds after creation, when `field` is absent.
    pub after: u64,
    /// The states that expire.
    pub from: Vec<String>,
    /// The state after.
    pub to: String,
}

/// `parent`: what a child needs of the resource it is created against.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentSpec {
    /// The parent resource's name.
    pub resource: String,
    /// The parent states that allow a child.
    pub states: Vec<String>,
    /// The parent's state once it has a child.
    #[serde(default)]
    pub becomes: Option<String>,
    /// The JSON pointer, into the child's request, of what it draws from the parent's budget.
    #[serde(default)]
    pub draws: Option<String>,
    /// The answer when the parent does not exist or is in another state.
    pub not_found: RefusalSpec,
    /// The answer when the children would draw more than the budget.
    #[serde(default)]
    pub over_budget: Option<RefusalSpec>,
    /// The child states that give the child's draw back to the parent's budget (a refund
    /// closed without paying out).
    #[serde(default)]
    pub releases: Vec<String>,
    /// Members the child's request and the parent's must agree on (both absent agrees): a
    /// sub-merchant's refund names the sub-merchant of its order, a direct merchant's none.
    #[serde(default)]
    pub same: Vec<String>,
}

/// A transition a test makes happen.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// The states it applies in.
    pub from: Vec<String>,
    /// The state after.
    pub to: String,
    /// The event the platform then notifies.
    #[serde(default)]
    pub event: Option<String>,
    /// Ids issued by it (as `issues`).
    #[serde(default)]
    pub issues: IndexMap<String, String>,
}

/// An error answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusalSpec {
    /// HTTP status.
    pub status: u16,
    /// `code`.
    pub code: String,
    /// `message`.
    pub message: String,
}

/// `x-wechatpay-flow`: an operation's step in a resource's life.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    /// The resource's name.
    pub resource: String,
    /// `create`, `query` or `transition`.
    pub action: String,
    /// For `transition`: the states it applies in (others are refused with `refused`).
    #[serde(default)]
    pub from: Vec<String>,
    /// For `transition`: the state after.
    #[serde(default)]
    pub to: Option<String>,
    /// For `transition`: the answer in any other state.
    #[serde(default)]
    pub refused: Option<RefusalSpec>,
    /// For `create`: members the created resource has besides the request's, an object.
    #[serde(default)]
    pub sets: Option<serde_json::Value>,
}

/// One notification event type: what its decrypted `resource` is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Short description (Chinese is fine).
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default)]
    pub description: Option<String>,
    /// The resource's `original_type` (default: the event type's first word, lowercase).
    #[serde(default)]
    pub original_type: Option<String>,
    /// The decrypted resource: an object schema, inline or `$ref`.
    pub resource: Schema,
    /// `x-wechatpay-rust-name`: the variant's name instead of the event type's.
    #[serde(rename = "x-wechatpay-rust-name", default)]
    pub rust_name: Option<String>,
}

/// `info`, with the group extension.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// Group title.
    pub title: String,
    /// Spec version.
    pub version: String,
    /// Group description (Chinese is fine).
    #[serde(default)]
    pub description: Option<String>,
    /// `x-wechatpay-group`, no longer supported (the file name names the module and the
    /// feature); parsed only to report it with a clear message.
    #[serde(rename = "x-wechatpay-group", default)]
    pub group: Option<serde_yaml::Value>,
    /// `x-wechatpay-merchant-modes`: who may call the group's operations (`direct`,
    /// `service-provider`), as the documentation's 支持商户 line says.
    #[serde(rename = "x-wechatpay-merchant-modes", default)]
    pub merchant_modes: Option<Vec<String>>,
}

/// A server entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// One of the known WeChat Pay hosts.
    pub url: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A tag (documentation only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// Tag name.
    pub name: String,
    /// Tag description.
    #[serde(default)]
    pub description: Option<String>,
}

/// The operations of one path.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathItem {
    /// Parameters shared by every operation of this path.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// GET.
    #[serde(default)]
    pub get: Option<Operation>,
    /// POST.
    #[serde(default)]
    pub post: Option<Operation>,
    /// PUT.
    #[serde(default)]
    pub put: Option<Operation>,
    /// PATCH.
    #[serde(default)]
    pub patch: Option<Operation>,
    /// DELETE.
    #[serde(default)]
    pub delete: Option<Operation>,
}

/// One operation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Unique across all files; becomes the Rust type name.
    #[serde(rename = "operationId", default)]
    pub operation_id: Option<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Long description.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags (documentation only).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Path, query and header parameters.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The JSON body.
    #[serde(rename = "requestBody", default)]
    pub request_body: Option<RequestBody>,
    /// Responses keyed by status code (`"200"`, `"204"`, `default`).
    pub responses: IndexMap<String, Response>,
    /// `x-wechatpay-rate-limit`.
    #[serde(rename = "x-wechatpay-rate-limit", default)]
    pub rate_limit: Option<RateLimit>,
    /// `x-wechatpay-unsigned-response`: the platform does not sign the answer (downloads).
    #[serde(rename = "x-wechatpay-unsigned-response", default)]
    pub unsigned_response: bool,
    /// `x-wechatpay-idempotent`: the same request may be sent again safely.
    #[serde(rename = "x-wechatpay-idempotent", default)]
    pub idempotent: Option<bool>,
    /// `x-wechatpay-flow`: what the operation does to a resource the platform keeps.
    #[serde(rename = "x-wechatpay-flow", default)]
    pub flow: Option<FlowSpec>,
    /// `x-wechatpay-mock`: a platform behaviour the mock implements in code for this operation.
    #[serde(rename = "x-wechatpay-mock", default)]
    pub mock: Option<crate::ir::MockBehaviour>,
    /// Present so that it is reported as deprecated in rustdoc.
    #[serde(default)]
    pub deprecated: bool,
}

/// `x-wechatpay-rate-limit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Number of requests allowed per period.
    pub requests: u32,
    /// The period.
    pub per: RatePeriod,
}

/// Period of a rate limit.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RatePeriod {
    /// Per second.
    Second,
    /// Per minute.
    Minute,
}

/// A parameter, inline or `$ref`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// `#/components/parameters/...` (other fields must then be absent).
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    /// Wire name.
    #[serde(default)]
    pub name: Option<String>,
    /// `path`, `query` or `header`.
    #[serde(rename = "in", default)]
    pub location: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Required (path parameters always are).
    #[serde(default)]
    pub required: bool,
    /// Schema of the value.
    #[serde(default)]
    pub schema: Option<Schema>,
    /// Example value.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// Query style (`form` only).
    #[serde(default)]
    pub style: Option<String>,
    /// Query arrays: `true` repeats the key, `false` joins with commas.
    #[serde(default)]
    pub explode: Option<bool>,
    /// `deprecated: true`: documented, and its setter warns.
    #[serde(default)]
    pub deprecated: bool,
    /// `allowEmptyValue` (documentation only; deprecated by OpenAPI).
    #[serde(rename = "allowEmptyValue", default)]
    pub allow_empty_value: Option<bool>,
    /// `allowReserved` (documentation only: values are always percent-encoded).
    #[serde(rename = "allowReserved", default)]
    pub allow_reserved: Option<bool>,
    /// Named examples (documentation only).
    #[serde(default)]
    pub examples: Option<serde_json::Value>,
    /// `x-wechatpay-managed`: the client fills this header itself (e.g. `Wechatpay-Serial`).
    #[serde(rename = "x-wechatpay-managed", default)]
    pub managed: bool,
}

/// A request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Required.
    #[serde(default)]
    pub required: bool,
    /// Media types: `application/json`, or `multipart/form-data` for uploads.
    pub content: IndexMap<String, MediaType>,
}

/// A media type entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaType {
    /// The schema.
    #[serde(default)]
    pub schema: Option<Schema>,
    /// An example of the whole body.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// `multipart/form-data`: how each part is sent.
    #[serde(default)]
    pub encoding: IndexMap<String, Encoding>,
}

/// How one part of a `multipart/form-data` body is sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoding {
    /// The part's media type(s), comma-separated.
    #[serde(rename = "contentType", default)]
    pub content_type: Option<String>,
    /// Part headers (documentation only).
    #[serde(default)]
    pub headers: IndexMap<String, serde_yaml::Value>,
    /// Style (form bodies only; documentation only).
    #[serde(default)]
    pub style: Option<String>,
    /// Explode (form bodies only; documentation only).
    #[serde(default)]
    pub explode: Option<bool>,
    /// Allow reserved characters (form bodies only; documentation only).
    #[serde(rename = "allowReserved", default)]
    pub allow_reserved: Option<bool>,
}

/// A response, inline or `$ref`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// `#/components/responses/...`.
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Media types; absent for 204.
    #[serde(default)]
    pub content: IndexMap<String, MediaType>,
    /// Response headers (documentation only).
    #[serde(default)]
    pub headers: IndexMap<String, serde_yaml::Value>,
}

/// `components`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Components {
    /// Named schemas.
    #[serde(default)]
    pub schemas: IndexMap<String, Schema>,
    /// Named responses.
    #[serde(default)]
    pub responses: IndexMap<String, Response>,
    /// Named parameters.
    #[serde(default)]
    pub parameters: IndexMap<String, Parameter>,
}

/// `externalDocs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalDocs {
    /// The link.
    pub url: String,
    /// What it shows.
    #[serde(default)]
    pub description: Option<String>,
}

/// A JSON schema (the OpenAPI 3.0 subset).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// `#/components/schemas/X` or `other.yaml#/components/schemas/X`.
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    /// `string`, `integer`, `number`, `boolean`, `array`, `object`.
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    /// `int32`, `int64`, `date-time`, `date`, `uri`, `byte`, ...
    #[serde(default)]
    pub format: Option<String>,
    /// Title (documentation only).
    #[serde(default)]
    pub title: Option<String>,
    /// Description; becomes rustdoc.
    #[serde(default)]
    pub description: Option<String>,
    /// Enumerated string values.
    #[serde(rename = "enum", default)]
    pub enumeration: Option<Vec<serde_yaml::Value>>,
    /// Per-value descriptions of an enum, keyed by value.
    #[serde(rename = "x-wechatpay-enum-descriptions", default)]
    pub enum_descriptions: IndexMap<String, String>,
    /// Maximum length in characters.
    #[serde(rename = "maxLength", default)]
    pub max_length: Option<u64>,
    /// Minimum length in characters.
    #[serde(rename = "minLength", default)]
    pub min_length: Option<u64>,
    /// Inclusive minimum.
    #[serde(default)]
    pub minimum: Option<f64>,
    /// Inclusive maximum.
    #[serde(default)]
    pub maximum: Option<f64>,
    /// A regular expression (ECMA 262, unanchored) the value must match; checked by the mock
    /// where the `regex` crate reads it the same way.
    #[serde(default)]
    pub pattern: Option<String>,
    /// `exclusiveMinimum: true` makes `minimum` exclusive (OpenAPI 3.0 form).
    #[serde(rename = "exclusiveMinimum", default)]
    pub exclusive_minimum: bool,
    /// `exclusiveMaximum: true` makes `maximum` exclusive (OpenAPI 3.0 form).
    #[serde(rename = "exclusiveMaximum", default)]
    pub exclusive_maximum: bool,
    /// The value is a multiple of this number.
    #[serde(rename = "multipleOf", default)]
    pub multiple_of: Option<f64>,
    /// Most items of an array.
    #[serde(rename = "maxItems", default)]
    pub max_items: Option<u64>,
    /// Fewest items of an array.
    #[serde(rename = "minItems", default)]
    pub min_items: Option<u64>,
    /// The items of an array are distinct.
    #[serde(rename = "uniqueItems", default)]
    pub unique_items: bool,
    /// Most properties of an object.
    #[serde(rename = "maxProperties", default)]
    pub max_properties: Option<u64>,
    /// Fewest properties of an object.
    #[serde(rename = "minProperties", default)]
    pub min_properties: Option<u64>,
    /// The value the platform assumes when the field is absent (documentation only).
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// Only in answers (documentation only).
    #[serde(rename = "readOnly", default)]
    pub read_only: bool,
    /// Only in requests (documentation only).
    #[serde(rename = "writeOnly", default)]
    pub write_only: bool,
    /// Deprecated: the field gets `#[deprecated]`.
    #[serde(default)]
    pub deprecated: bool,
    /// More examples (documentation only; not standard in 3.0 schemas, accepted anyway).
    #[serde(default)]
    pub examples: Option<serde_json::Value>,
    /// A link to more documentation.
    #[serde(rename = "externalDocs", default)]
    pub external_docs: Option<ExternalDocs>,
    /// `x-wechatpay-enum-names`: the Rust variant names of an enum, one per value, in order.
    #[serde(rename = "x-wechatpay-enum-names", default)]
    pub enum_names: Option<Vec<String>>,
    /// Object properties, in order.
    #[serde(default)]
    pub properties: IndexMap<String, Schema>,
    /// Required property names.
    #[serde(default)]
    pub required: Vec<String>,
    /// Array items.
    #[serde(default)]
    pub items: Option<Box<Schema>>,
    /// Example value.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// `x-wechatpay-encrypted`: encrypted with the platform key before sending (requests), or
    /// with the merchant key by the platform (responses). Printed redacted in `Debug`.
    #[serde(rename = "x-wechatpay-encrypted", default)]
    pub encrypted: bool,
    /// `x-wechatpay-json-string`: on a `type: string` property, the schema of the JSON document
    /// the string holds; the Rust field is typed as that document.
    #[serde(rename = "x-wechatpay-json-string", default)]
    pub json_string: Option<Box<Schema>>,
    /// `x-wechatpay-rust-name`: overrides the Rust name of a field or type.
    #[serde(rename = "x-wechatpay-rust-name", default)]
    pub rust_name: Option<String>,
    /// Unsupported; present so that it is reported as such rather than as an unknown key.
    #[serde(rename = "oneOf", default)]
    pub one_of: Option<serde_yaml::Value>,
    /// Unsupported (see `one_of`).
    #[serde(rename = "anyOf", default)]
    pub any_of: Option<serde_yaml::Value>,
    /// `allOf`: one member is that schema (the keywords next to `allOf` describe the field);
    /// several are one object with the properties of them all.
    #[serde(rename = "allOf", default)]
    pub all_of: Option<Vec<Schema>>,
    /// Unsupported (see `one_of`).
    #[serde(default)]
    pub not: Option<serde_yaml::Value>,
    /// `true`, `{}` or absent: free-form JSON; a schema: a map of its values.
    #[serde(rename = "additionalProperties", default)]
    pub additional_properties: Option<serde_yaml::Value>,
    /// `null` may stand for an absent value (answers decode it as `None`).
    #[serde(default)]
    pub nullable: bool,
}
