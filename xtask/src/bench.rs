//! `cargo xtask compile-bench`: what the generated code costs to compile, at the scale of the real
//! API. For each size it writes a synthetic spec ([`crate::synth`]), times the codegen on it,
//! generates a standalone crate from it that depends on `wechatpay-core` by path, builds its
//! dependencies once, and then times `cargo check` and `cargo build` of the core alone, of the
//! generated crate with one group and with every group, in one run so that the ratios compare
//! like with like.
//!
//! Each timed command first removes the artifacts of the crates it measures (`cargo clean -p`),
//! so they are compiled in full while every other dependency is reused; incremental compilation
//! is off, as it is for a crate from a registry.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wechatpay_generator::{codegen_with, Mode};

use crate::synth::synth_spec;
use crate::workspace_root;

/// The package name of the generated crate, and its folder.
const CRATE: &str = "synthetic-api";

/// The group enabled alone: the first group file.
const ONE_GROUP: &str = "group-001";

/// Codegen runs timed; the median is reported.
const CODEGEN_RUNS: usize = 3;

/// Runs of each small compile (everything but [`Target::AllGroups`], whose minute dwarfs the
/// noise); the median is reported, since one run of a second-long compile is noisy.
const SMALL_COMPILE_RUNS: usize = 3;

/// What is compiled in one timed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `wechatpay-core` alone.
    Core,
    /// The generated crate with the one feature `ONE_GROUP`; the core is not rebuilt.
    OneGroup,
    /// The core and the generated crate with one feature, both rebuilt: what a user of one
    /// group pays over the core.
    CoreAndOneGroup,
    /// The generated crate with every feature; the core is not rebuilt.
    AllGroups,
}

impl Target {
    const ALL: [Target; 4] = [
        Target::Core,
        Target::OneGroup,
        Target::CoreAndOneGroup,
        Target::AllGroups,
    ];

    /// The packages rebuilt, and the arguments that select what to compile.
    fn clean_and_args(self) -> (&'static [&'static str], Vec<String>) {
        let one = vec![
            "--no-default-features".to_owned(),
            "--features".to_owned(),
            ONE_GROUP.to_owned(),
        ];
        match self {
            Target::Core => (
                &["wechatpay-core"],
                vec!["-p".into(), "wechatpay-core".into()],
            ),
            Target::OneGroup => (&[CRATE], one),
            Target::CoreAndOneGroup => (&["wechatpay-core", CRATE], one),
            Target::AllGroups => (&[CRATE], vec!["--features".into(), "full".into()]),
        }
    }
}

/// The figures of one size.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Operations in the synthetic spec.
    pub operations: usize,
    /// Group files (one feature each) and shared definition files.
    pub files: (usize, usize),
    /// Bytes and lines of the generated Rust.
    pub code: (usize, usize),
    /// Median time of load + lower + emit.
    pub codegen: Duration,
    /// `cargo check` times, in the order of `Target::ALL`.
    pub check: Vec<Duration>,
    /// `cargo build` times, in the same order.
    pub build: Vec<Duration>,
}

/// Runs the benchmark for `operations` synthetic operations in `work` (a scratch folder; its
/// `target/` is kept between runs so that dependencies are built once).
pub fn compile_bench(operations: usize, seed: u64, work: &Path) -> Result<Figures, String> {
    let dir = work.join(format!("ops-{operations}"));
    let spec = dir.join("spec");
    write_spec(operations, seed, &spec)?;
    let codegen = time_codegen(&spec)?;
    eprintln!("{operations} operations: codegen {:.2} s", secs(codegen));
    let krate = dir.join(CRATE);
    if krate.exists() {
        std::fs::remove_dir_all(&krate)
            .map_err(|e| format!("cannot clear {}: {e}", krate.display()))?;
    }
    // A new crate, as `wechatpay-codegen` makes it, then built against this checkout's core.
    codegen_with(&spec, &krate, Mode::Write, true)?;
    standalone(&krate)?;
    let code = code_size(&krate.join("src/generated"))?;
    let cargo = Cargo {
        dir: krate,
        target: work.join("target"),
    };
    eprintln!("{operations} operations: building the dependencies once");
    cargo.run(&["build", "--features", "full"])?;
    cargo.run(&["check", "--features", "full"])?;
    let check = cargo.time_all("check")?;
    let build = cargo.time_all("build")?;
    let names: Vec<String> = std::fs::read_dir(&spec)
        .map_err(|e| format!("cannot read {}: {e}", spec.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    Ok(Figures {
        operations,
        files: (count("group-"), count("shared-")),
        code,
        codegen,
        check,
        build,
    })
}

/// Writes the synthetic spec to `dir`, replacing what was there.
pub fn write_spec(operations: usize, seed: u64, dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for source in synth_spec(operations, seed) {
        let path = dir.join(&source.name);
        std::fs::write(&path, source.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The median time of what `cargo xtask codegen` does before writing: load, lower, emit.
fn time_codegen(spec: &Path) -> Result<Duration, String> {
    let mut runs = Vec::with_capacity(CODEGEN_RUNS);
    for _ in 0..CODEGEN_RUNS {
        let start = Instant::now();
        let output =
            wechatpay_generator::generate_dir(spec, "synthetic_api").map_err(|e| e.to_string())?;
        runs.push(start.elapsed());
        std::hint::black_box(output);
    }
    runs.sort();
    Ok(runs[runs.len() / 2])
}

/// Points the new crate's `wechatpay-core` dependency at this checkout's core, makes it a
/// workspace of its own and gives it this workspace's lock file.
fn standalone(dir: &Path) -> Result<(), String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let from_registry = format!("wechatpay-core = \"{}\"\n", env!("CARGO_PKG_VERSION"));
    if !text.contains(&from_registry) {
        return Err(format!(
            "{} has no `{}` line",
            manifest.display(),
            from_registry.trim()
        ));
    }
    let core = workspace_root().join("wechatpay-core");
    let by_path = format!(
        "wechatpay-core = {{ path = {:?} }}\n",
        core.display().to_string()
    );
    let text = text.replace(&from_registry, &by_path) + "\n[workspace]\n";
    std::fs::write(&manifest, text)
        .map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
    let lock = workspace_root().join("Cargo.lock");
    std::fs::copy(&lock, dir.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy {}: {e}", lock.display()))?;
    Ok(())
}

/// Bytes and lines of every file in `dir`.
fn code_size(dir: &Path) -> Result<(usize, usize), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut size = (0, 0);
    for entry in entries.filter_map(Result::ok) {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        size.0 += text.len();
        size.1 += text.lines().count();
    }
    Ok(size)
}

/// Cargo in the scratch crate, with its own target folder.
struct Cargo {
    dir: PathBuf,
    target: PathBuf,
}

impl Cargo {
    fn run(&self, args: &[&str]) -> Result<(), String> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(args)
            .arg("--quiet")
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_INCREMENTAL", "0")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        Err(format!(
            "cargo {} failed in {}:\n{}",
            args.join(" "),
            self.dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }

    /// Times `cargo <command>` for every [`Target`], each after cleaning what it measures: the
    /// median of [`SMALL_COMPILE_RUNS`] runs, or one run for [`Target::AllGroups`].
    fn time_all(&self, command: &str) -> Result<Vec<Duration>, String> {
        let mut times = Vec::new();
        for target in Target::ALL {
            let (clean, args) = target.clean_and_args();
            let mut clean_args = vec!["clean"];
            for package in clean {
                clean_args.extend(["-p", package]);
            }
            let mut run_args = vec![command];
            run_args.extend(args.iter().map(String::as_str));
            let runs = if target == Target::AllGroups {
                1
            } else {
                SMALL_COMPILE_RUNS
            };
            let mut runs_taken = Vec::with_capacity(runs);
            for _ in 0..runs {
                self.run(&clean_args)?;
                let start = Instant::now();
                self.run(&run_args)?;
                runs_taken.push(start.elapsed());
            }
            runs_taken.sort();
            let median = runs_taken[runs_taken.len() / 2];
            times.push(median);
            eprintln!(
                "  cargo {} ({target:?}): {:.1} s (median of {runs})",
                run_args.join(" "),
                secs(median)
            );
        }
        Ok(times)
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A number with thousands separators, as the README writes them.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.operations;
        writeln!(
            f,
            "{} operations in {} group files and {} shared definition {}",
            thousands(n),
            self.files.0,
            self.files.1,
            if self.files.1 == 1 { "file" } else { "files" }
        )?;
        writeln!(
            f,
            "generated: {} bytes, {} lines ({} bytes, {} lines per operation)",
            thousands(self.code.0),
            thousands(self.code.1),
            thousands(self.code.0 / n),
            self.code.1 / n
        )?;
        writeln!(
            f,
            "codegen (load + lower + emit, median of {CODEGEN_RUNS}): {:.2} s, {:.2} ms per operation\n",
            secs(self.codegen),
            secs(self.codegen) * 1e3 / n as f64
        )?;
        writeln!(f, "| command | core alone | one group | core + one group | all groups | one group / core | core + one group / core | all groups / core | all groups per operation |")?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for (command, times) in [("cargo check", &self.check), ("cargo build", &self.build)] {
            let t: Vec<f64> = times.iter().map(|d| secs(*d)).collect();
            let mut row = format!("| `{command}` |");
            for s in &t {
                let _ = write!(row, " {s:.1} s |");
            }
            let _ = write!(
                row,
                " {:.2}× | {:.2}× | {:.2}× | {:.1} ms |",
                t[1] / t[0],
                t[2] / t[0],
                t[3] / t[0],
                t[3] * 1e3 / n as f64
            );
            writeln!(f, "{row}")?;
        }
        Ok(())
    }
}
