//! The open-file limit: raise the soft limit to the hard one and work out how many sockets
//! an engine may hold open at once, leaving headroom for everything else the process opens.
//! Both engines size their default concurrency from it (the sweep engine's sockets, the check
//! engine's probes in flight, each of which holds at most one socket).
//! `getrlimit`/`setrlimit` through libc directly: two calls do not need a crate.

/// What the limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft limit after raising it.
    pub soft_limit: u64,
    /// Descriptors open before the engine starts.
    pub in_use: u64,
    /// Sockets the engine may hold at once.
    pub sockets: usize,
}

/// Raises RLIMIT_NOFILE's soft limit to the hard limit (best effort) and returns the budget.
pub fn raise_and_measure() -> FdBudget {
    let soft = raise_nofile();
    let in_use = open_descriptors().unwrap_or(16);
    FdBudget {
        soft_limit: soft,
        in_use,
        sockets: budget(soft, in_use),
    }
}

/// Sockets allowed under a soft limit with `in_use` descriptors open: keeps 1/32 of the limit
/// (at least 16) for the threads' epoll instances, output and whatever else opens files.
pub fn budget(soft_limit: u64, in_use: u64) -> usize {
    let headroom = (soft_limit / 32).max(16);
    let free = soft_limit.saturating_sub(in_use).saturating_sub(headroom);
    usize::try_from(free).unwrap_or(usize::MAX).max(4)
}

fn raise_nofile() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    // RLIM_INFINITY is not a useful count of descriptors; the kernel caps at nr_open anyway.
    limit.rlim_cur.min(1 << 20)
}

fn open_descriptors() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(entries.take(1 << 20).count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_keeps_headroom() {
        assert_eq!(budget(20_000, 10), 20_000 - 10 - 625);
        assert_eq!(budget(256, 6), 256 - 6 - 16);
        assert_eq!(budget(16, 10), 4, "never below a handful");
    }

    #[test]
    fn raising_never_lowers_the_limit() {
        let b = raise_and_measure();
        assert!(b.soft_limit >= 16);
        assert!(b.sockets >= 4);
    }
}
