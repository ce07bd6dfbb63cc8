//! The engine when descriptors run out in the middle of a scan (root, a throw-away
//! namespace): the workers back off and the result is still exact. Its own test binary,
//! because it takes every free descriptor of the process for a moment.

mod support;

use std::net::TcpListener;

use portolan_scan::NmapState;
use portolan_scan::engine::Config;
use support::{Netns, require_root};

/// Holds every free descriptor from the first result until the second progress tick.
struct Hog {
    inner: support::Collect,
    held: Vec<std::fs::File>,
    ticks: u32,
    peak: usize,
}

impl portolan_scan::engine::Observer for Hog {
    fn event(&mut self, event: portolan_scan::engine::Event) {
        if self.ticks == 0 && self.held.is_empty() {
            // Bounded by the open-file limit.
            while let Ok(f) = std::fs::File::open("/dev/null") {
                self.held.push(f);
                if self.held.len() > 1 << 20 {
                    break;
                }
            }
            self.peak = self.held.len();
        }
        self.inner.event(event);
    }

    fn tick(&mut self, _: portolan_scan::engine::Progress) {
        self.ticks += 1;
        if self.ticks >= 2 {
            self.held.clear();
        }
    }
}

#[test]
#[ignore = "needs root (network namespaces): run by scripts/test.sh"]
fn running_out_of_descriptors_mid_scan_slows_it_but_loses_nothing() {
    require_root();
    let ns = Netns::new();
    let open = [80u16, 445, 50000];
    let (summary, hog) = ns.within(|| {
        let _listeners: Vec<TcpListener> = open
            .iter()
            .map(|&p| TcpListener::bind(("127.0.0.1", p)).unwrap())
            .collect();
        let specs =
            portolan_core::target::parse_targets(&["127.0.0.1"], |_| Err(String::new())).unwrap();
        let list =
            portolan_core::target::TargetList::build(&specs, |_| Err(String::new())).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let mut hog = Hog {
            inner: support::Collect::default(),
            held: Vec::new(),
            ticks: 0,
            peak: 0,
        };
        let config = Config {
            report_all: true,
            ..Config::default()
        };
        let ports = portolan_scan::ports::PortList::new((1..=65535).collect());
        let summary = portolan_scan::engine::run(&list, &ports, &config, &stop, &mut hog).unwrap();
        (summary, hog)
    });
    assert!(hog.peak > 0, "the test took descriptors");
    assert!(
        summary.backoffs > 0,
        "the workers met EMFILE and backed off"
    );
    assert_eq!(summary.done, 65535);
    let states = hog.inner.states();
    assert_eq!(states.len(), 65535);
    for (port, (state, reason)) in &states {
        let expected = if open.contains(port) {
            NmapState::Open
        } else {
            NmapState::Closed
        };
        assert_eq!(*state, expected, "port {port} ({reason:?})");
    }
}
