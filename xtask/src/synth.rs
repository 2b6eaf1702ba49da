//! A synthetic spec for benchmarks (`cargo xtask synth-spec`): `N` operations over about `N / 7`
//! group files plus shared definition files, with the shape mix of the real WeChat Pay APIv3.
//!
//! Each [`Shape`] is given to as many operations as it has per 1,013 operations of the real API,
//! scaled to `N` (at least one), chosen by a seeded shuffle among the operations it fits: the same
//! arguments give the same bytes. A new shape is a variant of [`Shape`], a row of [`SHAPES`], a
//! rule in `Shape::fits` and its lines in one of the printers below.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use wechatpay_generator::Source;

/// The number of operations of the real API the counts of [`SHAPES`] are taken from.
pub const REAL_OPERATIONS: usize = 1013;

/// Operations per group file.
const OPS_PER_FILE: usize = 7;

/// Operations per shared definition file.
const OPS_PER_SHARED_FILE: usize = 250;

/// A shape of the real API that an operation of the synthetic spec may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// A JSON request body (POST or PUT).
    Body,
    /// Success is `204` without a body.
    Answer204,
    /// Success is `202` without a body.
    Answer202,
    /// A `multipart/form-data` upload (a `file` part and a signed `meta` part).
    Upload,
    /// An unsigned binary download.
    Download,
    /// A path parameter.
    PathParam,
    /// Query parameters (a required string, an optional integer).
    QueryParams,
    /// A managed `Wechatpay-Serial` request header.
    SerialHeader,
    /// A sensitive request field (`x-wechatpay-encrypted`).
    EncryptedField,
    /// A sensitive query parameter.
    EncryptedQuery,
    /// A sensitive answer field, decrypted with the merchant key.
    EncryptedAnswer,
    /// A string enum.
    StringEnum,
    /// A `$ref` into a shared definition file.
    CrossFileRef,
    /// A `default`.
    Default,
    /// An integer enum.
    IntegerEnum,
    /// A number enum.
    NumberEnum,
    /// A `nullable` field.
    Nullable,
    /// A deprecated operation.
    Deprecated,
    /// An array with `minItems` and `maxItems`.
    ItemBounds,
    /// An object without properties (any JSON).
    FreeForm,
    /// A property name that is not a Rust identifier.
    OddName,
    /// An `allOf`: one `$ref` narrowed (`nullable`), or several objects merged.
    AllOf,
    /// A JSON document carried in a string (`x-wechatpay-json-string`).
    JsonString,
}

/// Every shape with the number of real operations using it, in the order they are dealt out
/// (a shape's `Shape::fits` may depend on those before it). Operations that are neither a
/// download nor `204`/`202` answer JSON on `200` (901 real ones).
pub const SHAPES: [(Shape, usize); 23] = [
    (Shape::Body, 563),
    (Shape::Answer204, 100),
    (Shape::Answer202, 7),
    (Shape::Upload, 14),
    (Shape::Download, 5),
    (Shape::PathParam, 524),
    (Shape::QueryParams, 285),
    (Shape::SerialHeader, 115),
    (Shape::EncryptedField, 107),
    (Shape::EncryptedQuery, 11),
    (Shape::EncryptedAnswer, 45),
    (Shape::StringEnum, 501),
    (Shape::CrossFileRef, 81),
    (Shape::Default, 18),
    (Shape::IntegerEnum, 18),
    (Shape::NumberEnum, 17),
    (Shape::Nullable, 17),
    (Shape::Deprecated, 14),
    (Shape::ItemBounds, 7),
    (Shape::FreeForm, 3),
    (Shape::OddName, 2),
    (Shape::AllOf, 37),
    (Shape::JsonString, 18),
];

impl Shape {
    /// Whether an operation with these shapes can take this one: encrypted fields need a body,
    /// field shapes need an object to live in (the body or a JSON answer), one success status,
    /// one kind of request body.
    fn fits(self, has: &BTreeSet<Shape>) -> bool {
        match self {
            Shape::EncryptedField => has.contains(&Shape::Body),
            Shape::Answer202 => !has.contains(&Shape::Answer204),
            Shape::Upload => !has.contains(&Shape::Body) && answers_json(has),
            Shape::Download => {
                !has.contains(&Shape::Body) && !has.contains(&Shape::Upload) && answers_json(has)
            }
            Shape::EncryptedAnswer => answers_json(has),
            Shape::StringEnum
            | Shape::CrossFileRef
            | Shape::Default
            | Shape::IntegerEnum
            | Shape::NumberEnum
            | Shape::Nullable
            | Shape::ItemBounds
            | Shape::FreeForm
            | Shape::OddName
            | Shape::AllOf
            | Shape::JsonString => has.contains(&Shape::Body) || answers_json(has),
            _ => true,
        }
    }
}

fn answers_json(has: &BTreeSet<Shape>) -> bool {
    !has.contains(&Shape::Answer204)
        && !has.contains(&Shape::Answer202)
        && !has.contains(&Shape::Download)
}

/// How many of `ops` operations carry a shape used by `real` of the real ones: in proportion,
/// rounded, and at least one.
pub fn quota(real: usize, ops: usize) -> usize {
    ((real * ops + REAL_OPERATIONS / 2) / REAL_OPERATIONS).max(1)
}

/// SplitMix64: a small, well-mixed generator, so that the output depends only on the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The shapes of each of `ops` operations.
pub fn plan(ops: usize, seed: u64) -> Vec<BTreeSet<Shape>> {
    let mut rng = Rng(seed);
    let mut plan = vec![BTreeSet::new(); ops];
    for (shape, real) in SHAPES {
        let mut fitting: Vec<usize> = (0..ops).filter(|&i| shape.fits(&plan[i])).collect();
        rng.shuffle(&mut fitting);
        for &i in fitting.iter().take(quota(real, ops)) {
            plan[i].insert(shape);
        }
    }
    plan
}

/// The spec files of `ops` operations: `common.yaml`, the shared definition files
/// `shared-K.yaml` and the group files `group-NNN.yaml`, in that order.
pub fn synth_spec(ops: usize, seed: u64) -> Vec<Source> {
    let plan = plan(ops, seed);
    let shared = ops.div_ceil(OPS_PER_SHARED_FILE).max(1);
    let mut files = vec![Source {
        name: "common.yaml".to_owned(),
        text: COMMON.to_owned(),
    }];
    files.extend((1..=shared).map(shared_file));
    for (g, chunk) in plan.chunks(OPS_PER_FILE).enumerate() {
        let ops = chunk.iter().enumerate().map(|(k, shapes)| Op {
            index: g * OPS_PER_FILE + k + 1,
            group: g + 1,
            shared: (g * OPS_PER_FILE + k) % shared + 1,
            shapes,
        });
        files.push(group_file(g + 1, ops));
    }
    files
}

const COMMON: &str = r#"openapi: 3.0.3
info:
  title: 公共定义 (shared definitions)
  version: "1.0.0"
paths: {}
components:
  schemas:
    ErrorBody:
      type: object
      description: 错误应答。
      required: [code, message]
      properties:
        code: { type: string, description: 详细错误码, example: PARAM_ERROR }
        message: { type: string, description: 错误描述, example: 参数错误 }
        detail: { type: object, description: 错误详情 }
"#;

/// A definition file without operations: a payer and a scene with a nested object.
fn shared_file(k: usize) -> Source {
    let text = format!(
        r#"openapi: 3.0.3
info:
  title: 共享定义 {k} (shared definitions)
  version: "1.0.0"
paths: {{}}
components:
  schemas:
    Shared{k}Payer:
      type: object
      description: 支付者信息。
      required: [openid]
      properties:
        openid: {{ type: string, maxLength: 128, description: 用户在商户 appid 下的唯一标识, example: oUpF8uMuAJO_M2pxb1Q9zNjWeS6o }}
        sub_openid: {{ type: string, maxLength: 128, description: 用户在子商户 appid 下的唯一标识 }}
    Shared{k}Scene:
      type: object
      description: 场景信息。
      properties:
        payer_client_ip: {{ type: string, maxLength: 45, description: 用户终端 IP, example: 14.23.150.211 }}
        device_id: {{ type: string, maxLength: 32, description: 商户端设备号 }}
        store_info:
          type: object
          description: 商户门店信息
          required: [id]
          properties:
            id: {{ type: string, maxLength: 32, description: 门店编号 }}
            name: {{ type: string, maxLength: 256, description: 门店名称 }}
"#
    );
    Source {
        name: format!("shared-{k}.yaml"),
        text,
    }
}

/// One operation of the plan, with where it lives.
struct Op<'a> {
    /// 1-based, over the whole spec.
    index: usize,
    /// 1-based group file.
    group: usize,
    /// 1-based shared definition file its cross-file `$ref` points into.
    shared: usize,
    shapes: &'a BTreeSet<Shape>,
}

impl Op<'_> {
    fn has(&self, shape: Shape) -> bool {
        self.shapes.contains(&shape)
    }

    /// Field shapes go into the body, or into the JSON answer when there is no body.
    fn fields_in_body(&self) -> bool {
        self.has(Shape::Body)
    }

    fn method_and_verb(&self) -> (&'static str, &'static str) {
        if self.has(Shape::Upload) {
            return ("post", "upload");
        }
        if self.has(Shape::Download) {
            return ("get", "download");
        }
        match (self.has(Shape::Body), self.has(Shape::Answer204)) {
            (true, _) if self.index.is_multiple_of(4) => ("put", "update"),
            (true, _) => ("post", "create"),
            (false, true) => ("delete", "delete"),
            (false, false) => ("get", "query"),
        }
    }
}

fn group_file<'a>(group: usize, ops: impl Iterator<Item = Op<'a>>) -> Source {
    let mut text = format!(
        r#"openapi: 3.0.3
info:
  title: 合成接口组 {group} (synthetic group {group})
  version: "1.0.0"
  description: 编译时间基准用的合成接口。Synthetic operations for the compile-time benchmark.
servers:
  - url: https://api.mch.weixin.qq.com
paths:
"#
    );
    for op in ops {
        operation(&mut text, &op);
    }
    let _ = write!(
        text,
        r#"components:
  schemas:
    Group{group}Amount:
      type: object
      description: 金额信息。
      required: [total]
      properties:
        total: {{ type: integer, minimum: 1, description: 总金额，单位为分, example: 100 }}
        currency: {{ type: string, maxLength: 16, description: 货币类型, example: CNY }}
"#
    );
    Source {
        name: format!("group-{group:03}.yaml"),
        text,
    }
}

fn operation(out: &mut String, op: &Op) {
    let (method, verb) = op.method_and_verb();
    let i = op.index;
    let path_param = if op.has(Shape::PathParam) {
        "/{resource_id}"
    } else {
        ""
    };
    let _ = write!(
        out,
        r#"  /v3/synthetic/group-{group}/resources-{i}{path_param}:
    {method}:
      operationId: {verb}Resource{i}
      summary: 合成接口 {i}
      description: 第 {i} 个合成接口,形状与真实接口的比例相同。
      x-wechatpay-rate-limit: {{ requests: 200, per: minute }}
"#,
        group = op.group
    );
    if op.has(Shape::Deprecated) {
        out.push_str("      deprecated: true\n");
    }
    if op.has(Shape::Download) {
        out.push_str("      x-wechatpay-unsigned-response: true\n");
    }
    parameters(out, op);
    if op.has(Shape::Body) {
        out.push_str(
            "      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n",
        );
        object(out, op, 14, true);
    }
    if op.has(Shape::Upload) {
        out.push_str(UPLOAD_BODY);
    }
    answers(out, op);
}

fn parameters(out: &mut String, op: &Op) {
    let mut lines = Vec::new();
    if op.has(Shape::PathParam) {
        lines.push("{ name: resource_id, in: path, required: true, description: 资源编号, schema: { type: string, maxLength: 64 } }");
    }
    if op.has(Shape::QueryParams) {
        lines.push("{ name: sub_mchid, in: query, required: true, description: 子商户号, schema: { type: string, maxLength: 32 } }");
        lines.push("{ name: limit, in: query, description: 每页条数, schema: { type: integer, format: int32, minimum: 1, maximum: 100 } }");
    }
    if op.has(Shape::EncryptedQuery) {
        lines.push("{ name: id_card_number, in: query, required: true, description: 证件号码, schema: { type: string, maxLength: 1024, x-wechatpay-encrypted: true } }");
    }
    if op.has(Shape::SerialHeader) {
        lines.push("{ name: Wechatpay-Serial, in: header, required: true, x-wechatpay-managed: true, description: 平台证书序列号或公钥 ID, schema: { type: string } }");
    }
    if lines.is_empty() {
        return;
    }
    out.push_str("      parameters:\n");
    for line in lines {
        let _ = writeln!(out, "        - {line}");
    }
}

fn answers(out: &mut String, op: &Op) {
    out.push_str("      responses:\n");
    if op.has(Shape::Answer204) {
        out.push_str("        \"204\": { description: 处理成功，无应答体 }\n");
    } else if op.has(Shape::Answer202) {
        out.push_str("        \"202\": { description: 已受理 }\n");
    } else if op.has(Shape::Download) {
        out.push_str("        \"200\":\n          description: 文件内容\n          content:\n            application/octet-stream:\n              schema: { type: string, format: binary }\n");
    } else {
        out.push_str("        \"200\":\n          description: 成功\n          content:\n            application/json:\n              schema:\n");
        object(out, op, 16, false);
    }
    out.push_str("        default:\n          description: 错误应答\n          content:\n            application/json:\n              schema: { $ref: \"common.yaml#/components/schemas/ErrorBody\" }\n");
}

/// An inline object schema at `indent`: the request body (`request`) or the JSON answer, with
/// the operation's field shapes if they live here.
fn object(out: &mut String, op: &Op, indent: usize, request: bool) {
    let pad = " ".repeat(indent);
    let (required, mut fields) = if request {
        ("[out_no, amount]", request_fields(op))
    } else {
        ("[id]", answer_fields(op))
    };
    if request == op.fields_in_body() {
        fields.extend(shape_fields(op));
    }
    let _ = write!(
        out,
        "{pad}type: object\n{pad}required: {required}\n{pad}properties:\n"
    );
    for field in fields {
        for line in field.lines() {
            let _ = writeln!(out, "{pad}  {line}");
        }
    }
}

fn request_fields(op: &Op) -> Vec<String> {
    let mut fields = vec![
        "out_no: { type: string, maxLength: 32, description: 商户单号, example: \"1217752501201407033233368018\" }".to_owned(),
        format!("amount: {{ $ref: \"#/components/schemas/Group{}Amount\" }}", op.group),
        "description: { type: string, maxLength: 127, description: 商品描述 }".to_owned(),
    ];
    if op.has(Shape::EncryptedField) {
        fields.push(
            "account_name: { type: string, x-wechatpay-encrypted: true, description: 开户名称 }"
                .to_owned(),
        );
    }
    fields
}

fn answer_fields(op: &Op) -> Vec<String> {
    let mut fields = vec![
        "id: { type: string, maxLength: 64, description: 微信支付单号, example: \"4200000000000000000\" }".to_owned(),
        "create_time: { type: string, format: date-time, description: 创建时间 }".to_owned(),
        format!("amount: {{ $ref: \"#/components/schemas/Group{}Amount\" }}", op.group),
    ];
    if op.has(Shape::EncryptedAnswer) {
        fields.push(
            "contact_name: { type: string, x-wechatpay-encrypted: true, description: 联系人姓名 }"
                .to_owned(),
        );
    }
    fields
}

/// The `multipart/form-data` body of an upload: the file and its signed `meta`.
const UPLOAD_BODY: &str = r#"      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, meta]
              properties:
                file: { type: string, format: binary, description: 文件 }
                meta:
                  type: object
                  required: [filename, sha256]
                  properties:
                    filename: { type: string, maxLength: 128, description: 文件名 }
                    sha256: { type: string, maxLength: 64, description: 文件的 SHA-256 摘要 }
            encoding:
              file: { contentType: "image/jpeg, image/png" }
              meta: { contentType: application/json }
"#;

/// The property lines of the operation's field shapes.
fn shape_fields(op: &Op) -> Vec<String> {
    let schema = if op.index.is_multiple_of(2) {
        "Payer"
    } else {
        "Scene"
    };
    let field = if op.index.is_multiple_of(2) {
        "payer"
    } else {
        "scene_info"
    };
    let fields = [
        (Shape::StringEnum, "state: { type: string, description: 状态, enum: [OPEN, PROCESSING, CLOSED, REFUNDED], example: OPEN }".to_owned()),
        (Shape::CrossFileRef, format!("{field}: {{ $ref: \"shared-{k}.yaml#/components/schemas/Shared{k}{schema}\" }}", k = op.shared)),
        (Shape::Default, "page_size: { type: integer, format: int32, default: 10, description: 每页条数 }".to_owned()),
        (Shape::IntegerEnum, "level: { type: integer, description: 等级, enum: [1, 2, 3] }".to_owned()),
        (Shape::NumberEnum, "rate: { type: number, description: 费率, enum: [0.6, 1.5, 2.5] }".to_owned()),
        (Shape::Nullable, "remark: { type: string, nullable: true, description: 备注 }".to_owned()),
        (Shape::ItemBounds, "goods_detail:\n  type: array\n  description: 商品列表\n  minItems: 1\n  maxItems: 50\n  items:\n    type: object\n    required: [goods_id]\n    properties:\n      goods_id: { type: string, maxLength: 32, description: 商品编码 }\n      quantity: { type: integer, minimum: 1, description: 数量 }".to_owned()),
        (Shape::FreeForm, "extra: { type: object, description: 任意 JSON }".to_owned()),
        (Shape::OddName, "device-id: { type: string, description: 设备号 }".to_owned()),
        (Shape::AllOf, if op.index.is_multiple_of(2) {
            format!("settlement:\n  description: 结算金额\n  nullable: true\n  allOf:\n    - $ref: \"#/components/schemas/Group{}Amount\"", op.group)
        } else {
            format!("detail:\n  description: 金额与场景\n  allOf:\n    - $ref: \"#/components/schemas/Group{}Amount\"\n    - $ref: \"shared-{k}.yaml#/components/schemas/Shared{k}Scene\"", op.group, k = op.shared)
        }),
        (Shape::JsonString, format!("scene_json:\n  type: string\n  maxLength: 2048\n  description: 场景信息(JSON 字符串)\n  x-wechatpay-json-string: {{ $ref: \"shared-{k}.yaml#/components/schemas/Shared{k}Scene\" }}", k = op.shared)),
    ];
    fields
        .into_iter()
        .filter(|(shape, _)| op.has(*shape))
        .map(|(_, line)| line)
        .collect()
}
