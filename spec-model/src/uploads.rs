//! Uploads: a `multipart/form-data` request body with a `file` part (the bytes) and a `meta`
//! part (a JSON object with the file's `sha256` and, usually, its `filename`, which the client
//! writes; or, for e-invoice files, its SM3 as `digest` with an algorithm member whose enum has
//! the one value to write). The signature covers the `meta` JSON; any other `meta` fields are
//! the operation's members, like the fields of a JSON body.

use std::collections::BTreeMap;

use crate::context::Lowerer;
use crate::ir::{Field, Ty, TypeDef, TypeKind, Upload, UploadDigest};
use crate::locate::YamlPath;
use crate::spec::{Document, MediaType};

/// The members naming the algorithm of an SM3 `digest`: the e-invoice page's spelling, and the
/// usual one.
const DIGEST_ALGORITHM: [&str; 2] = ["digest_alogrithm", "digest_algorithm"];

impl Lowerer {
    /// The upload of a `multipart/form-data` body, and the type of its other `meta` fields
    /// (`{Operation}Meta`), if it has any.
    pub(crate) fn upload(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        mpath: &YamlPath,
        media: &MediaType,
        op_name: &str,
    ) -> Option<(Option<Ty>, Upload)> {
        let spath = mpath.key("schema");
        let schema = media.schema.as_ref().filter(|s| s.reference.is_none());
        let Some(schema) = schema.filter(|s| s.ty.as_deref() == Some("object")) else {
            self.error(file, &spath, "an upload's schema is an inline `type: object` whose properties are its two parts, `file` and `meta`");
            return None;
        };
        let mut names: Vec<&str> = schema.properties.keys().map(String::as_str).collect();
        names.sort_unstable();
        if names != ["file", "meta"] {
            let message = format!(
                "an upload has exactly two parts, `file` and `meta`; this one has {}",
                describe(&names)
            );
            self.error(file, &spath.key("properties"), message);
            return None;
        }
        let part = &schema.properties["file"];
        let ppath = spath.key("properties").key("file");
        if part.ty.as_deref() != Some("string") || part.format.as_deref() != Some("binary") {
            self.error(
                file,
                &ppath,
                "the `file` part is `type: string` with `format: binary`",
            );
        }
        self.check_encoding(file, mpath, media);
        let meta_name =
            crate::schemas::named_or(&schema.properties["meta"], || format!("{op_name}Meta"));
        let mmeta = spath.key("properties").key("meta");
        let meta = self.schema(
            docs,
            file,
            &mmeta,
            &schema.properties["meta"],
            &meta_name,
            false,
        )?;
        let (fields, digest) = self.meta_fields(file, &mmeta, &meta)?;
        let filename_in_meta = fields.iter().any(|f| f.wire_name == "filename");
        // What the client writes itself.
        let computed = |name: &str| match &digest {
            UploadDigest::Sha256 => name == "filename" || name == "sha256",
            UploadDigest::Sm3 { field, .. } => {
                name == "filename" || name == "digest" || name == field
            }
        };
        let rest: Vec<Field> = fields
            .into_iter()
            .filter(|f| !computed(&f.wire_name))
            .collect();
        let body = if rest.is_empty() {
            None
        } else {
            Some(self.meta_type(file, &mmeta, &meta, &meta_name, rest)?)
        };
        let upload = Upload {
            filename_in_meta,
            media_types: media
                .encoding
                .get("file")
                .and_then(|e| e.content_type.clone()),
            doc: part.description.clone(),
            digest,
        };
        Some((body, upload))
    }

    /// The fields of `meta` and the digest it carries: an object with a `sha256` string (or a
    /// `digest` string and an algorithm member of one enum value, for SM3), `filename` (a
    /// string) if any, and no sensitive field.
    fn meta_fields(
        &mut self,
        file: &str,
        path: &YamlPath,
        meta: &Ty,
    ) -> Option<(Vec<Field>, UploadDigest)> {
        let Some(fields) = self.struct_fields(meta).map(<[Field]>::to_vec) else {
            self.error(file, path, "the `meta` part is an object");
            return None;
        };
        let text = |name: &str| fields.iter().find(|f| f.wire_name == name).map(|f| &f.ty);
        let mut ok = true;
        let algorithm = (fields.iter()).find(|f| DIGEST_ALGORITHM.contains(&f.wire_name.as_str()));
        let sha256 = text("sha256") == Some(&Ty::String);
        let sm3 = algorithm.is_some() && text("digest") == Some(&Ty::String);
        let digest = match algorithm {
            _ if sha256 && sm3 => {
                self.error(file, path, "the `meta` part has both `sha256` and an SM3 `digest`: the client writes one digest");
                return None;
            }
            _ if sha256 => UploadDigest::Sha256,
            Some(field) if sm3 => {
                // The client computes SM3: the member must name that algorithm, and only it.
                match self.single_value(&field.ty, field) {
                    Some(value) if value == "SM3" => UploadDigest::Sm3 {
                        field: field.wire_name.clone(),
                        value,
                    },
                    _ => {
                        let at = path.key("properties").key(&field.wire_name);
                        self.error(file, &at, format!("the `{}` of `meta` is an enum of the one value `SM3` (the algorithm the client computes)", field.wire_name));
                        return None;
                    }
                }
            }
            _ => {
                self.error(file, path, "the `meta` part has a `sha256` string property (or a `digest` string and a `digest_alogrithm` of one enum value, for SM3): the client writes the file's digest there");
                return None;
            }
        };
        if text("filename").is_some_and(|ty| *ty != Ty::String) {
            self.error(file, path, "the `filename` of `meta` is a string");
            ok = false;
        }
        if fields.iter().any(|f| f.encrypted) {
            self.error(
                file,
                path,
                "unsupported construct: sensitive (`x-wechatpay-encrypted`) fields in an upload's `meta`",
            );
            ok = false;
        }
        ok.then_some((fields, digest))
    }

    /// The one value an enum member allows (a named enum of one variant, or an inline `enum`
    /// of one value narrowing a string).
    fn single_value(&self, ty: &Ty, field: &Field) -> Option<String> {
        if let Ty::Named(name) = ty {
            if let Some(TypeKind::Enum(variants)) = self.types.get(name).map(|t| &t.kind) {
                return match variants.as_slice() {
                    [only] => Some(only.value.clone()),
                    _ => None,
                };
            }
        }
        match field.constraints.enum_subset.as_deref() {
            Some([only]) => Some(only.clone()),
            _ => None,
        }
    }

    /// `{Operation}Meta`: the `meta` fields the caller gives. An inline `meta` is that type
    /// already, narrowed here; a `$ref`'d one is copied under the operation's name, so the
    /// shared type stays whole.
    fn meta_type(
        &mut self,
        file: &str,
        path: &YamlPath,
        meta: &Ty,
        meta_name: &str,
        rest: Vec<Field>,
    ) -> Option<Ty> {
        let Ty::Named(lowered) = meta else {
            return None;
        };
        if lowered != meta_name && !self.register(meta_name, file, path) {
            return None;
        }
        let source = self.types.get(lowered)?.clone();
        self.types.insert(
            meta_name.to_owned(),
            TypeDef {
                name: meta_name.to_owned(),
                kind: TypeKind::Struct(rest),
                ..source
            },
        );
        Some(Ty::Named(meta_name.to_owned()))
    }

    /// `encoding`: only for the two parts; `meta` is JSON.
    fn check_encoding(&mut self, file: &str, mpath: &YamlPath, media: &MediaType) {
        for (part, encoding) in &media.encoding {
            let epath = mpath.key("encoding").key(part);
            if part != "file" && part != "meta" {
                self.error(
                    file,
                    &epath,
                    "`encoding` names a part the upload does not have",
                );
            } else if part == "meta"
                && encoding
                    .content_type
                    .as_deref()
                    .is_some_and(|t| t != "application/json")
            {
                self.error(
                    file,
                    &epath.key("contentType"),
                    "the `meta` part is `application/json`",
                );
            }
        }
    }
}

fn describe(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
