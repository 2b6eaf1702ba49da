//! The intermediate representation: plain data with every naming decision made, every reference
//! resolved and every operation classified. Emitters only print it; the mock platform reads it at
//! run time to validate requests and answer from examples.

use std::collections::BTreeMap;

pub use http::Method;

/// The whole API: every group (spec file) and the one type table they share.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Groups in file-name order.
    pub groups: Vec<Group>,
    /// Every named type, keyed by Rust name (unique across the API).
    pub types: BTreeMap<String, TypeDef>,
    /// What lowering degraded rather than refused, located like errors.
    pub warnings: Vec<crate::SpecError>,
    /// The resources the platform keeps (`x-wechatpay-resources`), by name: read by the mock.
    pub resources: BTreeMap<String, Resource>,
}

impl Api {
    /// Every operation of every group, in emission order.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.groups.iter().flat_map(|g| g.operations.iter())
    }

    /// The groups that become a module: those with operations or named types (a file of
    /// shared components only, whose types all land elsewhere, gives none).
    pub fn groups_with_code(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|g| {
            !g.operations.is_empty() || self.types.values().any(|t| t.module == g.module)
        })
    }
}

/// One spec file.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// File name, e.g. `papay.yaml`.
    pub file: String,
    /// Rust module: the file name in snake_case, e.g. `hk_complaint_notifications`.
    pub module: String,
    /// Cargo feature: the file name, e.g. `hk-complaint-notifications`; `None` for a
    /// components-only file (always compiled).
    pub feature: Option<String>,
    /// Features of other groups whose types this group's operations use.
    pub feature_deps: Vec<String>,
    /// `info.title`.
    pub title: String,
    /// `info.description`.
    pub description: Option<String>,
    /// Operations in path, then method order.
    pub operations: Vec<Operation>,
    /// The notification events this group sends, in spec order.
    pub events: Vec<Event>,
    /// Who may call the operations (`info.x-wechatpay-merchant-modes`); empty if the spec
    /// does not say.
    pub merchant_modes: Vec<MerchantMode>,
}

/// A kind of merchant an API group serves (the documentation's 支持商户).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MerchantMode {
    /// A direct merchant (直连商户, 普通商户): `direct`.
    Direct,
    /// A service provider acting for its sub-merchants (服务商): `service-provider`.
    ServiceProvider,
}

/// A notification event type and the model of its decrypted resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The `event_type`, e.g. `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// The variant's Rust name, e.g. `TransactionSuccess`; unique across the API.
    pub rust_name: String,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// The resource's `original_type`, e.g. `transaction`.
    pub original_type: String,
    /// The resource's type: a named struct.
    pub resource: Ty,
    /// An example resource (the mock's notifications).
    pub example: Option<serde_json::Value>,
}

/// Which WeChat Pay host serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `api.mch.weixin.qq.com` (with `api2` as the backup).
    Mainland,
    /// `apihk.mch.weixin.qq.com`.
    HongKong,
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: String,
    /// Rust type name of the operation value.
    pub rust_name: String,
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v3/papay/contracts/{contract_id}/fail-notify`.
    pub path: String,
    /// Host.
    pub host: Host,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Requests per period, e.g. `(200, "minute")`.
    pub rate_limit: Option<(u32, &'static str)>,
    /// Whether the same request may be sent again safely.
    pub idempotent: bool,
    /// What it does to a resource the platform keeps (`x-wechatpay-flow`).
    pub flow: Option<Flow>,
    /// A behaviour the mock implements in code for it (`x-wechatpay-mock`).
    pub mock: Option<MockBehaviour>,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// Path, query and header parameters (client-managed headers excluded).
    pub params: Vec<Param>,
    /// The arguments of the one-step constructor and the `with_…` setters, in order: the
    /// parameters, then the members of the JSON body (or the body itself if it is not an object).
    pub members: Vec<Member>,
    /// The JSON body type, if any; for an upload, the `meta` fields besides `filename` and
    /// `sha256` (if there are any).
    pub body: Option<Ty>,
    /// The upload, for `multipart/form-data` operations.
    pub upload: Option<Upload>,
    /// Example of the whole request body.
    pub body_example: Option<serde_json::Value>,
    /// The success answer.
    pub success: Success,
    /// Whether the platform signs the answer.
    pub signed_response: bool,
    /// JSON pointers (with `*` for array elements) of the body fields to encrypt.
    pub encrypted_fields: Vec<String>,
    /// JSON pointers (with `*` for array elements) of the answer fields the platform encrypts
    /// with the merchant key, which the client decrypts.
    pub encrypted_answer_fields: Vec<String>,
    /// The request must carry `Wechatpay-Serial` (managed by the client).
    pub platform_serial_header: bool,
    /// With two or more required members: the name of the struct `new` takes them in, by name
    /// (`{Operation}Required`), so that two values of one type cannot trade places unseen.
    pub required_struct: Option<String>,
    /// The operation, or a type its request or answer reaches, is `deprecated`: its generated
    /// impls allow the lint.
    pub touches_deprecated: bool,
}

/// A `multipart/form-data` upload: a `meta` JSON part (the client writes `sha256`, and
/// `filename` when `meta` has it) and a `file` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// `meta` carries the file's name as `filename`.
    pub filename_in_meta: bool,
    /// The media types the `file` part accepts (`encoding.file.contentType`), as written.
    pub media_types: Option<String>,
    /// The `file` part's description.
    pub doc: Option<String>,
    /// The digest of the file `meta` carries, which the client writes.
    pub digest: UploadDigest,
}

/// The digest of an upload's file in its `meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadDigest {
    /// `sha256`, hex.
    Sha256,
    /// `digest`, the SM3 in hex, with the member `field` set to `value` (the one value its
    /// enum allows, e.g. `digest_alogrithm: SM3`).
    Sm3 {
        /// The algorithm's member.
        field: String,
        /// Its value.
        value: String,
    },
}

/// Whether a request with this method may be sent again by default, when the spec does not
/// say (`x-wechatpay-idempotent`): every method but `POST` and `PATCH`. The core's `Request::new`
/// applies the same rule.
pub fn idempotent_by_default(method: &Method) -> bool {
    method != Method::POST && method != Method::PATCH
}

impl Operation {
    /// Whether the request names a platform key in `Wechatpay-Serial`: the spec asks for the
    /// header, or the body or a parameter carries a value encrypted with that key.
    pub fn needs_platform_serial(&self) -> bool {
        self.platform_serial_header
            || !self.encrypted_fields.is_empty()
            || self.params.iter().any(|p| p.encrypted)
    }
}

/// One argument of an operation's constructor (required) or one setter (optional).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Argument name, unique among the operation's members.
    pub name: String,
    /// Setter name, e.g. `with_limit`; unique among the operation's members.
    pub setter: String,
    /// Where the value is stored.
    pub target: MemberTarget,
    /// Type of the value.
    pub ty: Ty,
    /// Required: an argument of `new`; otherwise an `Option` set by the setter.
    pub required: bool,
    /// For a required member, a complete example value (the spec's examples, completed with
    /// values synthesised from the schema): what the rustdoc example passes to `new`. `None`
    /// for optional members and the file of an upload.
    pub example: Option<serde_json::Value>,
}

/// Where a [`Member`] is stored in the operation value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberTarget {
    /// The operation's own field for a parameter (its [`Param::rust_name`]).
    Param(String),
    /// A field of the JSON body object (its [`Field::rust_name`]).
    BodyField(String),
    /// The whole body.
    Body,
    /// The file of an upload (the operation's `file` field).
    File,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// A path segment, percent-encoded.
    Path,
    /// A query pair.
    Query,
    /// A request header.
    Header,
}

/// One path, query or header parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Rust field name on the operation value.
    pub rust_name: String,
    /// Wire name.
    pub wire_name: String,
    /// Location.
    pub location: ParamLocation,
    /// Type (a scalar, or a `Vec` of scalars for query arrays).
    pub ty: Ty,
    /// Required.
    pub required: bool,
    /// Query arrays: repeat the key (`true`) or join with commas (`false`).
    pub explode: bool,
    /// Sensitive (a query or header string): written in plaintext by the caller, encrypted
    /// with the platform key on the wire, redacted in `Debug`.
    pub encrypted: bool,
    /// Description.
    pub doc: Option<String>,
    /// Constraints checked by the mock.
    pub constraints: Constraints,
    /// What the schema says for the reader only.
    pub notes: Notes,
    /// Example value.
    pub example: Option<serde_json::Value>,
}

/// The success answer of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Success {
    /// Status code, e.g. 200 or 204.
    pub status: u16,
    /// What the body holds.
    pub kind: SuccessKind,
    /// Example body.
    pub example: Option<serde_json::Value>,
}

/// What a success answer holds.
#[derive(Debug, Clone, PartialEq)]
pub enum SuccessKind {
    /// No body (204): maps to `()` and never reaches serde.
    Empty,
    /// No body, with the status `202`, which this operation declares as its success (for
    /// every other operation a `202` means "accepted, not processed: repeat"). Maps to `()`.
    Accepted,
    /// A JSON body of this type.
    Json(Ty),
    /// Raw bytes (downloads).
    Bytes,
}

/// A type reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `String`.
    String,
    /// An RFC 3339 date-time (`format: date-time` fields): `time::OffsetDateTime`.
    DateTime,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f64`.
    F64,
    /// `bool`.
    Bool,
    /// Any JSON (`serde_json::Value`).
    Json,
    /// A file to upload (`wechatpay_core::Upload`): only the `file` member of an upload.
    File,
    /// `Vec<T>`.
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`: an object whose `additionalProperties` has a schema.
    Map(Box<Ty>),
    /// A named type from [`Api::types`].
    Named(String),
}

/// Constraints on a value, from the schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// The constraints on each item of an array (from its inline `items` schema).
    pub items: Option<Box<Constraints>>,
    /// `maxLength`.
    pub max_length: Option<u64>,
    /// `minLength`.
    pub min_length: Option<u64>,
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// `format`.
    pub format: Option<String>,
    /// `exclusiveMinimum: true`.
    pub exclusive_minimum: bool,
    /// `exclusiveMaximum: true`.
    pub exclusive_maximum: bool,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
    /// `pattern` (ECMA 262, unanchored).
    pub pattern: Option<String>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `uniqueItems: true`.
    pub unique_items: bool,
    /// `maxProperties`.
    pub max_properties: Option<u64>,
    /// `minProperties`.
    pub min_properties: Option<u64>,
    /// The values a narrowing `enum` next to `allOf` allows, a subset of the enum type's (each
    /// written as that type's variant value).
    pub enum_subset: Option<Vec<String>>,
}

/// What a schema says about a value for the reader only: rustdoc, never checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes {
    /// `title`.
    pub title: Option<String>,
    /// `default`.
    pub default: Option<serde_json::Value>,
    /// `readOnly: true`.
    pub read_only: bool,
    /// `writeOnly: true`.
    pub write_only: bool,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// `examples`.
    pub examples: Option<serde_json::Value>,
    /// `externalDocs`: the link and its description.
    pub external_docs: Option<(String, Option<String>)>,
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Rust name.
    pub name: String,
    /// Module (group) that defines it.
    pub module: String,
    /// Description.
    pub doc: Option<String>,
    /// Struct or enum.
    pub kind: TypeKind,
    /// Used in a request body (derive `Serialize`).
    pub in_request: bool,
    /// Used in a response body (derive `Deserialize`).
    pub in_response: bool,
    /// How users build it (structs only).
    pub construction: Construction,
    /// For a struct built with `new` that has two or more required fields: the name of the
    /// struct `new` takes them in, by name (`{Name}Required`).
    pub required_struct: Option<String>,
}

/// How users build a struct (enums are built from their variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Construction {
    /// `new` takes the required fields (nothing, the one value, or the
    /// [`TypeDef::required_struct`] naming two or more), and request types have one `with_…`
    /// setter per optional field.
    #[default]
    New,
    /// Only ever the body of operations whose `new` and setters take its fields: it has no
    /// constructor of its own, so each optional value is set in one place.
    ByOperation,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// An object.
    Struct(Vec<Field>),
    /// An open string enum.
    Enum(Vec<Variant>),
    /// An open enum of numbers; each variant's `value` is the number's text (`1`, `2.5`, `-1`).
    NumberEnum(NumberKind, Vec<Variant>),
}

/// The value of a variant of a [`TypeKind::NumberEnum`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EnumNumber {
    /// Of a `type: integer` enum.
    Integer(i64),
    /// Of a `type: number` enum (finite).
    Number(f64),
}

/// The numbers of a [`TypeKind::NumberEnum`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// `type: integer`: `i64`.
    Integer,
    /// `type: number`: `f64`.
    Number,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Rust name (keywords escaped as `type_`).
    pub rust_name: String,
    /// The builder's setter of this field, e.g. `with_type`; unique among the struct's setters.
    pub setter: String,
    /// Wire name.
    pub wire_name: String,
    /// Type.
    pub ty: Ty,
    /// Required: a plain value; otherwise `Option`, skipped when `None`.
    pub required: bool,
    /// `nullable: true`: `null` is allowed and decodes as `None` (never `required`).
    pub nullable: bool,
    /// Description.
    pub doc: Option<String>,
    /// Sensitive: encrypted on the wire, redacted in `Debug`.
    pub encrypted: bool,
    /// `x-wechatpay-json-string`: on the wire a string holding the JSON of a `ty` value
    /// (`wechatpay_core::json_string`); the constraints apply to that string.
    pub json_string: bool,
    /// Constraints checked by the mock.
    pub constraints: Constraints,
    /// What the schema says for the reader only.
    pub notes: Notes,
    /// Example value.
    pub example: Option<serde_json::Value>,
}

/// An enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Rust name.
    pub rust_name: String,
    /// Wire value (for a number enum, the number's text).
    pub value: String,
    /// For a number enum, the number itself, as lowering read and checked it.
    pub number: Option<EnumNumber>,
    /// Description.
    pub doc: Option<String>,
}

/// A resource the platform keeps, and the state machine it follows (`x-wechatpay-resources`).
/// The generated code ignores it; the mock keeps state by it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Its name, unique across the spec, e.g. `order`.
    pub name: String,
    /// The members that name one: the merchant's own number first, then issued ids.
    pub keys: Vec<String>,
    /// Ids issued at creation: member → template.
    pub issues: Vec<(String, Vec<IdPart>)>,
    /// The member that holds the state.
    pub state: String,
    /// The state at creation.
    pub initial: String,
    /// Members shown in a state: state → JSON object.
    pub in_state: Vec<(String, serde_json::Value)>,
    /// State → the member stamped with the time it was entered.
    pub stamps: Vec<(String, String)>,
    /// Members derived at answer time, in order; none overwrites a member already known.
    pub derived: Vec<Derived>,
    /// A resource left in a state too long moves on by itself.
    pub expiry: Option<Expiry>,
    /// The JSON pointer, into the creating request, of the amount children draw from.
    pub budget: Option<String>,
    /// The resource it is created against.
    pub parent: Option<Parent>,
    /// What a test can make happen, by name.
    pub scenarios: Vec<Scenario>,
    /// The answer about one that does not exist.
    pub not_found: Refusal,
    /// The answer to a creation repeating a key with other values.
    pub conflict: Refusal,
    /// A creation repeated with the same values once the resource is in a state: state → the
    /// answer.
    pub repeat: Vec<(String, Refusal)>,
}

/// A member derived at answer time: `to` (a JSON pointer) from another member or a constant,
/// in some states.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The JSON pointer written.
    pub to: String,
    /// Where the value comes from.
    pub source: DerivedFrom,
    /// Only in these states (all when empty).
    pub states: Vec<String>,
}

/// Where a derived member's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DerivedFrom {
    /// Another member, by JSON pointer.
    Member(String),
    /// A constant.
    Value(serde_json::Value),
}

/// A resource that moves on by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Expiry {
    /// The request member holding the expiry time (RFC 3339), when the merchant may set it.
    pub field: Option<String>,
    /// Seconds after creation, when `field` is absent.
    pub after_secs: u64,
    /// The states that expire.
    pub from: Vec<String>,
    /// The state after.
    pub to: String,
}

/// What a child needs of the resource it is created against.
#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    /// The parent resource.
    pub resource: String,
    /// The parent states that allow a child.
    pub states: Vec<String>,
    /// The parent's state once it has a child.
    pub becomes: Option<String>,
    /// The JSON pointer, into the child's request, of its draw on the parent's budget.
    pub draws: Option<String>,
    /// The answer when the parent does not exist or is in another state.
    pub not_found: Refusal,
    /// The answer when the children would draw more than the budget.
    pub over_budget: Option<Refusal>,
    /// The child states that give the child's draw back to the parent's budget.
    pub releases: Vec<String>,
    /// Members the child's request and the parent's must agree on (both absent agrees);
    /// otherwise the parent is not found for it.
    pub same: Vec<String>,
}

/// A transition a test makes happen (`MockPlatform::scenario`).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name, e.g. `pay`.
    pub name: String,
    /// The states it applies in.
    pub from: Vec<String>,
    /// The state after.
    pub to: String,
    /// The event then notified.
    pub event: Option<String>,
    /// Ids issued by it: member → template.
    pub issues: Vec<(String, Vec<IdPart>)>,
}

/// A piece of an id template (`x-wechatpay-resources` `issues`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdPart {
    /// Literal text.
    Text(String),
    /// `{n:K}`: K random decimal digits.
    Digits(usize),
    /// `{hex:K}`: K random lowercase hexadecimal digits.
    Hex(usize),
    /// `{alnum:K}`: K random ASCII letters and digits.
    Alnum(usize),
    /// `{b64:K}`: K random characters of the base64 alphabet.
    Base64(usize),
    /// `{date}`: the date, `yyyyMMdd` (Beijing time).
    Date,
    /// `{time}`: the date and time, `yyyyMMddHHmmss` (Beijing time).
    Time,
}

/// An error answer of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// `code`.
    pub code: String,
    /// `message`.
    pub message: String,
}

/// A platform behaviour the mock implements in code, bound to an operation by the spec
/// (`x-wechatpay-mock`) rather than by its path, so that a renamed path keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MockBehaviour {
    /// Applies for a trade bill made from the orders and refunds the mock holds.
    TradeBill,
    /// Applies for a fund-flow bill made from them.
    FundFlowBill,
    /// Serves a bill file handed out by an application, by its token.
    BillFile,
    /// Lists the platform certificates, encrypted with the APIv3 key.
    PlatformCertificates,
}

/// An operation's step in a resource's life (`x-wechatpay-flow`).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// The resource's name.
    pub resource: String,
    /// What it does.
    pub action: FlowAction,
    /// For a creation: members the created resource has besides the request's (e.g. the
    /// `trade_type` a prepay path implies), a JSON object.
    pub sets: Option<serde_json::Value>,
}

/// What an operation does to a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowAction {
    /// Creates one, keyed by the body member named as the resource's first key.
    Create,
    /// Reads one, named by a path or query parameter named as one of its keys.
    Query,
    /// Moves one named by a path parameter from one of `from` to `to`; refused in any other
    /// state.
    Transition {
        /// The states it applies in.
        from: Vec<String>,
        /// The state after.
        to: String,
        /// The answer in any other state.
        refused: Refusal,
    },
}
