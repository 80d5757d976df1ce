//! The one table of exception names: Windows exception codes as WinDbg's `!analyze` names
//! them (`ACCESS_VIOLATION`, `CPP_EH_EXCEPTION`, `STACK_BUFFER_OVERRUN` …). The dump readers
//! name an exception from it, so the JSON report, the table, markdown and bucket titles all
//! show the same name for the same code. A code the table does not know keeps the name the
//! dump reader gave it (a POSIX signal such as `SIGSEGV` for a Linux or macOS dump).

/// `(code, name)`, sorted by code. Data: extend it as new codes turn up.
pub const EXCEPTION_NAMES: &[(u32, &str)] = &[
    (0x0000_06BA, "RPC_S_SERVER_UNAVAILABLE"),
    (0x0000_06BE, "RPC_S_CALL_FAILED"),
    (0x0000_06D9, "EPT_S_NOT_REGISTERED"),
    (0x4001_0005, "DBG_CONTROL_C"),
    (0x4001_0006, "DBG_PRINTEXCEPTION_C"),
    (0x4001_000A, "DBG_PRINTEXCEPTION_WIDE_C"),
    (0x406D_1388, "SET_THREAD_NAME"),
    (0x8000_0001, "GUARD_PAGE_VIOLATION"),
    (0x8000_0002, "DATATYPE_MISALIGNMENT"),
    (0x8000_0003, "BREAKPOINT"),
    (0x8000_0004, "SINGLE_STEP"),
    (0xC000_0005, "ACCESS_VIOLATION"),
    (0xC000_0006, "IN_PAGE_ERROR"),
    (0xC000_0008, "INVALID_HANDLE"),
    (0xC000_000D, "INVALID_PARAMETER"),
    (0xC000_0017, "NO_MEMORY"),
    (0xC000_001D, "ILLEGAL_INSTRUCTION"),
    (0xC000_0025, "NONCONTINUABLE_EXCEPTION"),
    (0xC000_0026, "INVALID_DISPOSITION"),
    (0xC000_008C, "ARRAY_BOUNDS_EXCEEDED"),
    (0xC000_008E, "FLOAT_DIVIDE_BY_ZERO"),
    (0xC000_0090, "FLOAT_INVALID_OPERATION"),
    (0xC000_0091, "FLOAT_OVERFLOW"),
    (0xC000_0094, "INT_DIVIDE_BY_ZERO"),
    (0xC000_0095, "INT_OVERFLOW"),
    (0xC000_0096, "PRIVILEGED_INSTRUCTION"),
    (0xC000_00FD, "STACK_OVERFLOW"),
    (0xC000_0135, "DLL_NOT_FOUND"),
    (0xC000_0139, "ENTRYPOINT_NOT_FOUND"),
    (0xC000_013A, "CONTROL_C_EXIT"),
    (0xC000_0374, "HEAP_CORRUPTION"),
    (0xC000_0409, "STACK_BUFFER_OVERRUN"),
    (0xC000_0417, "INVALID_CRUNTIME_PARAMETER"),
    (0xC000_0420, "ASSERTION_FAILURE"),
    (0xC000_0602, "FAIL_FAST_EXCEPTION"),
    (0xCFFF_FFFF, "APPLICATION_HANG"),
    (0xE043_4352, "CLR_EXCEPTION"),
    (0xE043_4F4D, "CLR_EXCEPTION_COM"),
    (0xE06D_7363, "CPP_EH_EXCEPTION"),
];

/// The name of a Windows exception code, if the table has it.
pub fn exception_name(code: u32) -> Option<&'static str> {
    EXCEPTION_NAMES.binary_search_by_key(&code, |(c, _)| *c).ok().and_then(|i| EXCEPTION_NAMES.get(i)).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(EXCEPTION_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        let mut names: Vec<_> = EXCEPTION_NAMES.iter().map(|(_, n)| n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EXCEPTION_NAMES.len());
    }

    #[test]
    fn names_windbg_uses() {
        assert_eq!(exception_name(0xC000_0005), Some("ACCESS_VIOLATION"));
        assert_eq!(exception_name(0xE06D_7363), Some("CPP_EH_EXCEPTION"));
        assert_eq!(exception_name(0xC000_000D), Some("INVALID_PARAMETER"));
        assert_eq!(exception_name(0xC000_0409), Some("STACK_BUFFER_OVERRUN"));
        assert_eq!(exception_name(0x1234_5678), None);
    }
}
