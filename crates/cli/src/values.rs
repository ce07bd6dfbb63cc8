//! clap value types for the closed sets the library crates own (firewall dialects, audit
//! input formats, dynamic RPC ranges): the names, aliases and help come from those crates,
//! so `--help`, completions and error messages list exactly what the code accepts.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, Command, ValueEnum};
use portolan_audit::Format;
use portolan_audit::detect::INPUT_FORMATS;
use portolan_plan::{Dialect, RpcRange};

/// `plan --dialect`: one of portolan-plan's [`Dialect::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialectArg(pub Dialect);

const DIALECT_ARGS: [DialectArg; Dialect::ALL.len()] = {
    let mut all = [DialectArg(Dialect::Nftables); Dialect::ALL.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = DialectArg(Dialect::ALL[i]);
        i += 1;
    }
    all
};

impl ValueEnum for DialectArg {
    fn value_variants<'a>() -> &'a [Self] {
        &DIALECT_ARGS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(
            PossibleValue::new(self.0.name())
                .aliases(self.0.aliases().iter().copied())
                .help(self.0.description()),
        )
    }
}

/// `audit --input-format`: one of portolan-audit's [`INPUT_FORMATS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputFormatArg(pub Format);

const INPUT_FORMAT_ARGS: [InputFormatArg; INPUT_FORMATS.len()] = {
    let mut all = [InputFormatArg(Format::ProcNet); INPUT_FORMATS.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = InputFormatArg(INPUT_FORMATS[i].0);
        i += 1;
    }
    all
};

impl ValueEnum for InputFormatArg {
    fn value_variants<'a>() -> &'a [Self] {
        &INPUT_FORMAT_ARGS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let aliases = INPUT_FORMATS
            .iter()
            .find(|(format, _)| *format == self.0)
            .map_or(&[][..], |(_, names)| names.get(1..).unwrap_or_default());
        Some(
            PossibleValue::new(self.0.as_str())
                .aliases(aliases.iter().copied())
                .help(self.0.describe()),
        )
    }
}

/// `plan --rpc-range`: `modern`, `legacy` (listed as possible values) or a range `A-B`,
/// parsed by portolan-plan's `RpcRange::from_str`.
#[derive(Debug, Clone, Copy)]
pub struct RpcRangeParser;

impl RpcRangeParser {
    /// The named ranges.
    const NAMED: [RpcRange; 2] = [RpcRange::Modern, RpcRange::Legacy];
}

impl TypedValueParser for RpcRangeParser {
    type Value = RpcRange;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<RpcRange, clap::Error> {
        let name = arg.map_or_else(|| "--rpc-range".to_string(), ToString::to_string);
        let invalid = |problem: String| {
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!(
                    "invalid value '{}' for '{name}': {problem}\n",
                    value.to_string_lossy()
                ),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| invalid("not UTF-8 text".to_string()))?;
        text.parse::<RpcRange>().map_err(|e| invalid(e.to_string()))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(Self::NAMED.into_iter().map(|range| {
            PossibleValue::new(range.kind()).help(range.to_string())
        })))
    }
}
