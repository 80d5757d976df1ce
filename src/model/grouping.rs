//! How dumps are grouped into buckets (`--group-by`). Here, at the bottom, because the flag
//! (`cli`), the settings (`config`) and the `bucket` stage all name it.

use serde::{Deserialize, Serialize};

/// What makes a bucket besides process, exception code and chance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The faulting module (the default): one bucket per DLL, listing its fault offsets.
    #[default]
    Module,
    /// The faulting module and the offset in it (WER-style offset buckets): two crash sites in
    /// one DLL are two buckets.
    Offset,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Module => "module",
            GroupBy::Offset => "offset",
        }
    }
}
