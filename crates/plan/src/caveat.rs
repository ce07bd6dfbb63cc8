//! Caveats: what the rules cannot do alone, what was left out and why. Every dialect prints
//! them as comments; the JSON form keeps them structured.

use ipnet::IpNet;
use portolan_catalog::{Catalog, PortSharing, PortSpec, RowKey, Transport};
use serde::Serialize;

use crate::plan::{Family, LeftOutReason, Plan, UseKind};
use crate::ports::PortRange;
use crate::request::{OptionalPolicy, RpcRange};

/// The IP protocol number of GRE.
const GRE: u8 = 47;
/// The IP protocol number of ESP.
const ESP: u8 = 50;
/// The UDP port TFTP servers receive requests on.
const TFTP_PORT: u16 = 69;
/// The smallest range `netsh int ipv4 set dynamicport` accepts.
const NETSH_MIN_PORTS: u32 = 255;
/// The smallest range Microsoft advises for `Rpc\Internet\Ports`.
const RPC_ADVISED_MIN_PORTS: u32 = 100;

/// What a caveat is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaveatKind {
    /// The dynamic RPC range is opened; how to narrow it on Windows.
    RpcDynamic,
    /// The RPC servers are pinned (`--pin-rpc`): their fixed ports are opened instead.
    RpcPinned,
    /// FTP's active-mode data port is not opened inbound.
    FtpActiveData,
    /// FTP's passive data range is opened; it must match the server.
    FtpPassive,
    /// TFTP transfers come from a port the server picks at random.
    TftpReply,
    /// PPTP needs GRE and, on stateful Linux firewalls, the PPTP helper.
    PptpGre,
    /// ESP and AH have no ports; NAT and IKE remarks.
    Ipsec,
    /// Rows an erratum declares spurious are not opened.
    Spurious,
    /// Ports an administrator can move away from the defaults planned.
    ConfigurablePort,
    /// Optional services or rows are opened, marked optional.
    OptionalIncluded,
    /// Optional services or rows are left out.
    OptionalLeftOut,
    /// A source or destination had host bits set and was read as its network.
    HostBits,
    /// Sources of the other family than the destination are left out.
    SourcesDropped,
    /// Two planned services cannot listen on the same port of one address.
    PortConflict,
    /// The request gives sources per class: who is admitted to what.
    SourceClasses,
    /// Rows only classes without sources need are left out.
    NoSources,
}

impl CaveatKind {
    /// Stable machine name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CaveatKind::RpcDynamic => "rpc-dynamic",
            CaveatKind::RpcPinned => "rpc-pinned",
            CaveatKind::FtpActiveData => "ftp-active-data",
            CaveatKind::FtpPassive => "ftp-passive",
            CaveatKind::TftpReply => "tftp-reply",
            CaveatKind::PptpGre => "pptp-gre",
            CaveatKind::Ipsec => "ipsec",
            CaveatKind::Spurious => "spurious",
            CaveatKind::ConfigurablePort => "configurable-port",
            CaveatKind::OptionalIncluded => "optional-included",
            CaveatKind::OptionalLeftOut => "optional-left-out",
            CaveatKind::HostBits => "host-bits",
            CaveatKind::SourcesDropped => "sources-dropped",
            CaveatKind::PortConflict => "port-conflict",
            CaveatKind::SourceClasses => "source-classes",
            CaveatKind::NoSources => "no-sources",
        }
    }
}

/// One caveat: a title and explanatory lines, plain ASCII text without comment markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caveat {
    /// What it is about.
    pub kind: CaveatKind,
    /// One line.
    pub title: String,
    /// The explanation, one sentence or command per line.
    pub lines: Vec<String>,
    /// Ids of the services concerned.
    pub services: Vec<String>,
    /// Ids of the errata cited.
    pub errata: Vec<String>,
}

impl Caveat {
    fn new(kind: CaveatKind, title: impl Into<String>) -> Caveat {
        Caveat {
            kind,
            title: title.into(),
            lines: Vec::new(),
            services: Vec::new(),
            errata: Vec::new(),
        }
    }

    fn line(mut self, text: impl Into<String>) -> Caveat {
        self.lines.push(text.into());
        self
    }
}

/// Every caveat the plan's rules need, in a fixed order.
pub(crate) fn collect(plan: &Plan, catalog: &Catalog) -> Vec<Caveat> {
    let mut out = Vec::new();
    out.extend(rpc_dynamic(plan));
    out.extend(rpc_pinned(plan));
    out.extend(ftp(plan));
    out.extend(tftp(plan));
    out.extend(pptp(plan));
    out.extend(ipsec(plan));
    out.extend(spurious(plan, catalog));
    out.extend(configurable(plan, catalog));
    out.extend(optional(plan));
    out
}

fn services_of(plan: &Plan, kind: impl Fn(&crate::plan::PortUse) -> bool) -> Vec<usize> {
    let mut found = Vec::new();
    for u in plan.uses.iter().filter(|u| kind(u)) {
        if !found.contains(&u.service) {
            found.push(u.service);
        }
    }
    found
}

/// [`services_of`], or `None` when no service has such a use: the caveat is then not given.
fn any_services_of(
    plan: &Plan,
    kind: impl Fn(&crate::plan::PortUse) -> bool,
) -> Option<Vec<usize>> {
    let services = services_of(plan, kind);
    (!services.is_empty()).then_some(services)
}

fn names(plan: &Plan, services: &[usize]) -> String {
    services
        .iter()
        .filter_map(|&i| plan.service(i))
        .map(|s| s.short_name().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ids(plan: &Plan, services: &[usize]) -> Vec<String> {
    services
        .iter()
        .filter_map(|&i| plan.service(i))
        .map(|s| s.id.clone())
        .collect()
}

fn rpc_dynamic(plan: &Plan) -> Option<Caveat> {
    let services = any_services_of(plan, |u| u.kind == UseKind::RpcDynamic)?;
    let range = plan.rpc_range.ports();
    let mut c = Caveat::new(
        CaveatKind::RpcDynamic,
        format!("Dynamic RPC: TCP {range} is opened ({})", plan.rpc_range.meaning()),
    )
    .line(format!(
        "RPC servers ({}) listen on ports the endpoint mapper (TCP 135) hands out at run time from {range}.",
        names(plan, &services)
    ));
    c = match plan.rpc_range {
        RpcRange::Modern => c.line(
            "Windows 2000, XP and Server 2003 use 1025-5000 instead (--rpc-range legacy); a network with both needs both ranges.",
        ),
        RpcRange::Legacy => c.line(
            "Windows Vista, Server 2008 and later use 49152-65535 instead (--rpc-range modern); a network with both needs both ranges.",
        ),
        RpcRange::Custom(_) | RpcRange::Pinned(_) => c.line(
            "The range must match what the servers are set to, or RPC calls fail behind this firewall.",
        ),
    };
    c = c
        .line("To narrow the range, set it on each server, then plan with --rpc-range A-B:")
        .line(format!(
            "  registry HKLM\\SOFTWARE\\Microsoft\\Rpc\\Internet: Ports (REG_MULTI_SZ) = {range}, PortsInternetAvailable (REG_SZ) = Y, UseInternetPorts (REG_SZ) = Y; restart to apply"
        ));
    let count = range.len();
    if count >= NETSH_MIN_PORTS && u32::from(range.first) >= 1025 {
        c = c.line(format!(
            "  or, on Vista / Server 2008 and later: netsh int ipv4 set dynamicport tcp start={} num={count} (and the same with ipv6)",
            range.first
        ));
    } else {
        c = c.line(format!(
            "  netsh int ipv4 set dynamicport cannot set this range: it needs at least {NETSH_MIN_PORTS} ports starting at 1025 or above; use the registry value"
        ));
    }
    if count < RPC_ADVISED_MIN_PORTS {
        c = c.line(format!(
            "Warning: {count} ports is fewer than the {RPC_ADVISED_MIN_PORTS} Microsoft advises; busy servers run out of RPC endpoints."
        ));
    }
    c = c.line(
        "Windows firewall dialects name the ports with the RPC and RPC endpoint mapper keywords instead of the range.",
    );
    c.services = ids(plan, &services);
    Some(c)
}

fn rpc_pinned(plan: &Plan) -> Option<Caveat> {
    let layout = plan.pin.as_ref()?;
    let services = services_of(plan, |u| u.kind == UseKind::RpcPinned);
    let mut c = Caveat::new(
        CaveatKind::RpcPinned,
        format!(
            "Pinned RPC: TCP {} is opened instead of the dynamic range",
            layout.ports()
        ),
    )
    .line(format!(
        "The rules hold only once each server is set to these ports: portolan pin --role ROLE --base {} --for windows (or samba) prints the settings.",
        layout.base
    ));
    for server in &layout.servers {
        c = c.line(format!("  TCP {}: {}", server.port, server.name));
    }
    c = c
        .line(format!(
            "  TCP {}: the narrowed dynamic range, for every other RPC server",
            layout.rest
        ))
        .line(
            "Until a server is restarted with them, its RPC servers still take ports from the dynamic range, which these rules block.",
        )
        .line(
            "portolan rpc HOST --role ROLE --pin-rpc BASE (or check --pin-rpc) reports any interface still registered outside these ports.",
        );
    c.services = ids(plan, &services);
    Some(c)
}

fn ftp(plan: &Plan) -> Vec<Caveat> {
    let mut out = Vec::new();
    let active: Vec<_> = plan
        .left_out
        .iter()
        .filter(|l| l.reason == LeftOutReason::FtpActiveData)
        .collect();
    if let Some(first) = active.first() {
        let port = &first.port;
        let control = port.parse::<u16>().map_or(21, |p| p.saturating_add(1));
        let mut c = Caveat::new(
            CaveatKind::FtpActiveData,
            format!("FTP active-mode data (TCP {port}) is not opened inbound"),
        )
        .line(format!(
            "In active mode the FTP server connects out from TCP {port} (the control port {control} minus one) to a port the client names; nothing listens on {port}."
        ))
        .line(format!(
            "A stateful firewall admits the client's side of that connection as established traffic; the server needs outbound TCP from port {port} allowed."
        ))
        .line(
            "Firewalls in front of the clients need an FTP helper (Linux: nf_conntrack_ftp) to admit the incoming data connection.",
        );
        let mut services = Vec::new();
        for l in &active {
            if !services.contains(&l.service) {
                services.push(l.service);
            }
        }
        c.services = ids(plan, &services);
        out.push(c);
    }
    let passive = services_of(plan, |u| u.kind == UseKind::FtpPassive);
    if !passive.is_empty() {
        let range = plan.ftp_passive;
        let mut c = Caveat::new(
            CaveatKind::FtpPassive,
            format!("FTP passive data: TCP {range} is opened"),
        )
        .line(format!(
            "In passive mode the client opens each data connection to a port the server picks from {range}."
        ))
        .line(
            "The range must match the server's setting: IIS 6.0 PassivePortRange in the metabase (default 1025-5000); IIS 7 and later, the FTP firewall support data channel port range.",
        )
        .line("After narrowing the server's range, plan with --ftp-passive A-B.")
        .line(
            "On stateful Linux firewalls the FTP helper (nf_conntrack_ftp) can admit data connections as related instead; it cannot read an encrypted (FTPS) control channel.",
        );
        c.services = ids(plan, &passive);
        out.push(c);
    }
    out
}

fn tftp(plan: &Plan) -> Option<Caveat> {
    let services = any_services_of(plan, |u| {
        u.transport == Transport::Udp && u.ports == Some(PortRange::single(TFTP_PORT))
    })?;
    let mut c = Caveat::new(
        CaveatKind::TftpReply,
        "TFTP answers from a random port",
    )
    .line(
        "A TFTP server takes requests on UDP 69 but sends each transfer from a new port it picks at random (RFC 1350 transfer identifiers); the client then talks to that port.",
    )
    .line(
        "A stateful firewall admits that traffic as replies to the server's first packet; a stateless filter (router ACL) would have to open UDP 1024-65535 from the clients.",
    )
    .line(
        "Firewalls in front of the clients, or doing NAT, need the TFTP helper (Linux: nf_conntrack_tftp).",
    );
    c.services = ids(plan, &services);
    Some(c)
}

fn pptp(plan: &Plan) -> Option<Caveat> {
    let services = any_services_of(plan, |u| u.transport == Transport::Ip(GRE))?;
    let mut c = Caveat::new(
        CaveatKind::PptpGre,
        "PPTP needs GRE (IP protocol 47) besides TCP 1723",
    )
    .line("PPTP carries its tunnel in GRE packets, which have no ports; the plan opens GRE from the same sources.")
    .line(
        "Stateful Linux firewalls need the PPTP conntrack helper to tie GRE to the control connection, and NAT needs it too: nf_conntrack_pptp and nf_nat_pptp (nftables: ct helper type \"pptp\"; iptables: -j CT --helper pptp; firewalld: helper pptp).",
    )
    .line("Azure virtual networks drop GRE: PPTP cannot work through them.");
    c.services = ids(plan, &services);
    Some(c)
}

fn ipsec(plan: &Plan) -> Option<Caveat> {
    let services = any_services_of(plan, |u| u.transport == Transport::Ip(ESP))?;
    let mut c = Caveat::new(
        CaveatKind::Ipsec,
        "IPsec: ESP (50) and AH (51) have no ports",
    )
    .line("Behind NAT, IPsec wraps ESP in UDP 4500 (NAT-T) and AH cannot work at all.");
    let udp = plan.open_ports(Transport::Udp);
    let opens = |p: u16| udp.iter().any(|r| r.contains(p));
    if !opens(500) || !opens(4500) {
        c = c.line(
            "This plan does not open IKE (UDP 500) and NAT-T (UDP 4500), which IPsec and L2TP/IPsec need to set up keys; the catalog lists them under local-security-authority, and a role takes them alone with ports = [\"udp/500\", \"udp/4500\"] (as vpn-gateway does).",
        );
    }
    c.services = ids(plan, &services);
    Some(c)
}

fn spurious(plan: &Plan, catalog: &Catalog) -> Vec<Caveat> {
    let mut out: Vec<Caveat> = Vec::new();
    for left in &plan.left_out {
        let LeftOutReason::Spurious { erratum, title } = &left.reason else {
            continue;
        };
        let Some(service) = plan.service(left.service) else {
            continue;
        };
        let row = format!(
            "Not opened: {} {} {} ({}).",
            left.app,
            left.transport,
            left.port,
            service.short_name()
        );
        if let Some(c) = out.iter_mut().find(|c| c.errata.contains(erratum)) {
            if !c.lines.contains(&row) {
                c.lines.push(row);
            }
            if !c.services.contains(&service.id) {
                c.services.push(service.id.clone());
            }
            continue;
        }
        let mut c = Caveat::new(
            CaveatKind::Spurious,
            format!("{title}: not a real listener (erratum {erratum})"),
        )
        .line(row);
        if let Some(e) = catalog.erratum(erratum) {
            c = c.line(first_sentence(&e.decision));
        }
        c.services.push(service.id.clone());
        c.errata.push(erratum.clone());
        out.push(c);
    }
    out
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(end) => text.get(..=end).unwrap_or(text).to_string(),
        None => text.to_string(),
    }
}

fn configurable(plan: &Plan, catalog: &Catalog) -> Option<Caveat> {
    let mut c = Caveat::new(
        CaveatKind::ConfigurablePort,
        "Ports an administrator can move: the plan uses the defaults",
    );
    for planned in &plan.services {
        let Some(service) = catalog.service(&planned.id) else {
            continue;
        };
        for conf in &service.configurable {
            c.lines.push(format!(
                "{}: {} (default {}). {}",
                planned.short_name(),
                conf.what,
                conf.default,
                conf.how
            ));
            if !c.services.contains(&planned.id) {
                c.services.push(planned.id.clone());
            }
        }
    }
    (!c.lines.is_empty()).then_some(c)
}

fn optional(plan: &Plan) -> Vec<Caveat> {
    let mut out = Vec::new();
    let optional_rows: Vec<String> = plan
        .uses
        .iter()
        .filter(|u| u.optional && !plan.service(u.service).is_some_and(|s| s.optional))
        .filter_map(|u| {
            let s = plan.service(u.service)?;
            let port = u.ports.map(|p| format!(" {p}")).unwrap_or_default();
            let why = role_reasons(s.optional_reasons(&u.row));
            Some(if why.is_empty() {
                format!(
                    "Optional feature: {} {}{port} ({}).",
                    u.app,
                    u.transport,
                    s.short_name()
                )
            } else {
                format!(
                    "Optional: {} {}{port} ({}) - {why}",
                    u.app,
                    u.transport,
                    s.short_name()
                )
            })
        })
        .collect();
    let optional_services: Vec<String> = plan
        .services
        .iter()
        .filter(|s| s.optional)
        .map(|s| {
            format!(
                "Optional: {} - {}",
                s.label(),
                role_reasons(s.reasons.iter())
            )
        })
        .collect();
    if !optional_rows.is_empty() || !optional_services.is_empty() {
        let mut c = Caveat::new(
            CaveatKind::OptionalIncluded,
            "Optional services and features are opened; their rules are marked optional",
        );
        c.lines.extend(optional_services);
        c.lines.extend(optional_rows);
        c.lines.push(
            "Leave them out by planning with optional services excluded (--no-optional)."
                .to_string(),
        );
        c.services = plan
            .services
            .iter()
            .filter(|s| s.optional)
            .map(|s| s.id.clone())
            .collect();
        out.push(c);
    }
    if plan.by_class {
        let mut c = Caveat::new(
            CaveatKind::SourceClasses,
            "Sources by class: each rule admits only the classes of hosts that need its ports",
        );
        for (i, audience) in plan.audiences.iter().enumerate() {
            let ports: Vec<String> = plan
                .rules
                .iter()
                .filter(|r| r.audience == i)
                .map(|r| r.label())
                .collect();
            c.lines.push(format!(
                "From {}: {}.",
                audience.label(),
                if ports.is_empty() {
                    "nothing".to_string()
                } else {
                    ports.join(", ")
                }
            ));
        }
        c.lines.push(
            "A bare --from CIDR admits every class; --from clients=, management= and peers= admit one."
                .to_string(),
        );
        out.push(c);
        let unsourced: Vec<String> = plan
            .left_out
            .iter()
            .filter_map(|l| {
                let LeftOutReason::NoSources { classes } = &l.reason else {
                    return None;
                };
                let s = plan.service(l.service)?;
                let classes: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
                Some(format!(
                    "Left out: {} {} {} ({}), needed by {}.",
                    l.app,
                    l.transport,
                    l.port,
                    s.short_name(),
                    classes.join(", ")
                ))
            })
            .collect();
        if !unsourced.is_empty() {
            let mut c = Caveat::new(
                CaveatKind::NoSources,
                "Rows for classes without sources are left out",
            );
            c.lines.extend(unsourced);
            c.lines.push(
                "Give those classes sources (--from management=10.9.0.0/24), or a bare --from for every class."
                    .to_string(),
            );
            out.push(c);
        }
    }
    let left_rows: Vec<String> = plan
        .left_out
        .iter()
        .filter_map(|l| {
            let s = plan.service(l.service)?;
            let why = match &l.reason {
                LeftOutReason::OptionalRow => "an optional feature".to_string(),
                LeftOutReason::OptionalForRole { roles } => {
                    format!("optional for {}", roles.join(", "))
                }
                _ => return None,
            };
            Some(format!(
                "Left out: {} {} {} ({}), {why}.",
                l.app,
                l.transport,
                l.port,
                s.short_name()
            ))
        })
        .collect();
    if plan.optional == OptionalPolicy::Exclude
        && (!plan.left_out_services.is_empty() || !left_rows.is_empty())
    {
        let mut c = Caveat::new(
            CaveatKind::OptionalLeftOut,
            "Optional services and features are left out",
        );
        for s in &plan.left_out_services {
            let why = role_reasons(s.reasons.iter());
            c.lines.push(format!("Left out: {} - {why}", s.label()));
            c.services.push(s.id.clone());
        }
        c.lines.extend(left_rows);
        out.push(c);
    }
    out
}

/// "role: reason / role: reason" for the entries given.
fn role_reasons<'r>(reasons: impl Iterator<Item = &'r crate::plan::ServiceReason>) -> String {
    reasons
        .map(|r| format!("{}: {}", r.role, r.reason))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A network given with host bits set, read as its network.
pub(crate) fn host_bits(given: &IpNet, clean: &IpNet) -> Caveat {
    Caveat::new(
        CaveatKind::HostBits,
        format!("{given} has host bits set: read as {clean}"),
    )
    .line(format!(
        "The prefix /{} keeps only the network part; write {clean}, or the address alone for one host.",
        given.prefix_len()
    ))
}

/// Sources of the other family than the destination's, left out.
pub(crate) fn sources_dropped(dropped: &[IpNet], family: Family) -> Caveat {
    let list = dropped
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Caveat::new(
        CaveatKind::SourcesDropped,
        format!("Sources left out: the destination is {}", family.name()),
    )
    .line(format!(
        "{list} cannot reach an {} destination; plan them with a destination of their own family.",
        family.name()
    ))
}

/// One caveat per pair of planned services that cannot listen on the same port of one
/// address (portolan_catalog's reviewed decisions): the rule opens the port, but only one of
/// them can answer on it.
pub(crate) fn port_conflicts(plan: &Plan, sharing: &PortSharing) -> Vec<Caveat> {
    let claims: Vec<(&str, RowKey)> = plan
        .uses
        .iter()
        .filter(|u| matches!(u.row.port, Some(PortSpec::Single(_))))
        .filter_map(|u| plan.service(u.service).map(|s| (s.id.as_str(), u.row)))
        .collect();
    let name = |id: &str| {
        plan.services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    sharing
        .conflicts(claims)
        .into_iter()
        .map(|c| {
            let [a, b] = &c.services;
            let mut caveat = Caveat::new(
                CaveatKind::PortConflict,
                format!(
                    "Port conflict: {} and {} cannot both listen on {} {} of one address",
                    name(a),
                    name(b),
                    c.transport,
                    c.port
                ),
            )
            .line(c.reason.clone())
            .line("The rule opens the port once; put the two services on different addresses or hosts, or move one of them to another port.");
            caveat.services = vec![a.clone(), b.clone()];
            caveat
        })
        .collect()
}
