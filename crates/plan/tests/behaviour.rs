//! Roles as data, and what plans do with them: merging, leaving rows out, caveats, and each
//! dialect's limits on the largest plan.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod support;

use portolan_catalog::{Catalog, Source, Transport};
use portolan_plan::{
    CaveatKind, Dialect, LeftOutReason, OptionalPolicy, Plan, PortRange, Rendered, RenderedFile,
    Request, UseKind, render,
};

const REQUIRED_ROLES: [&str; 19] = [
    "domain-controller",
    "dns-server",
    "dhcp-server",
    "wins-server",
    "file-server",
    "print-server",
    "web-server",
    "ftp-server",
    "mail-server",
    "sql-server",
    "terminal-server",
    "vpn-gateway",
    "radius-server",
    "certificate-authority",
    "cluster-node",
    "media-server",
    "message-queuing",
    "sms-site-server",
    "mom-server",
];

fn role(id: &str) -> Request {
    Request::new([id], Vec::<String>::new())
}

/// The plan of the service `id` alone, from a catalog loaded from the user file `user`.
fn user_service_plan(user: &str, id: &str) -> Plan {
    let catalog = Catalog::load(&[Source::new("user.toml", user)]).unwrap();
    Plan::build(&catalog, &Request::new(Vec::<String>::new(), [id])).unwrap()
}

/// The first rendered file whose name ends with `suffix`.
fn file_ending<'a>(rendered: &'a Rendered, suffix: &str) -> &'a RenderedFile {
    rendered
        .files
        .iter()
        .find(|f| f.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no file ending with {suffix}"))
}

#[test]
fn every_role_loads_and_names_real_services() {
    let catalog = support::catalog();
    for id in REQUIRED_ROLES {
        assert!(catalog.role(id).is_some(), "role {id} missing");
    }
    for role in catalog.roles() {
        assert!(!role.name.trim().is_empty(), "{}: no name", role.id);
        assert!(!role.summary.trim().is_empty(), "{}: no summary", role.id);
        assert!(!role.services.is_empty(), "{}: no services", role.id);
        for (i, rs) in role.services.iter().enumerate() {
            let service = catalog.service(&rs.service);
            assert!(
                service.is_some(),
                "{}: unknown service {}",
                role.id,
                rs.service
            );
            // A service named twice takes different rows in each entry.
            for other in role.services.iter().skip(i + 1) {
                if other.service != rs.service {
                    continue;
                }
                let rows = service.map(|s| s.ports.as_slice()).unwrap_or_default();
                assert!(
                    !rows.iter().any(|r| rs.includes(r) && other.includes(r)),
                    "{}: two entries of {} take the same row",
                    role.id,
                    rs.service
                );
            }
            let reason = rs.reason.trim();
            assert!(
                !reason.is_empty() && !reason.contains('\n'),
                "{}: {} needs a one-line reason",
                role.id,
                rs.service
            );
        }
        assert!(
            role.services.iter().any(|s| !s.optional),
            "{}: every service is optional",
            role.id
        );
        let plan = support::plan(&role_request(&role.id));
        assert!(!plan.rules.is_empty(), "{}: plan opens nothing", role.id);
        for dialect in Dialect::ALL {
            assert!(!render(&plan, dialect).files.is_empty());
        }
    }
}

fn role_request(id: &str) -> Request {
    role(id)
}

#[test]
fn a_user_catalog_overrides_a_role() {
    let user = Source::new(
        "user.toml",
        "[[role]]\nid = \"dns-server\"\nservices = [{ service = \"dns-server\", reason = \"Answers queries.\" }, { service = \"wins\", reason = \"Also WINS.\", optional = true }]\n",
    );
    let catalog = Catalog::load(&[user]).unwrap();
    let plan = portolan_plan::Plan::build(&catalog, &role("dns-server")).unwrap();
    assert!(plan.services.iter().any(|s| s.id == "wins" && s.optional));
    assert_eq!(
        plan.roles[0].name, "DNS server",
        "fields not given are kept"
    );
}

#[test]
fn tcp_135_is_one_rule_whatever_the_number_of_services() {
    let plan = support::plan(&role("domain-controller"));
    let epm: Vec<_> = plan
        .rules
        .iter()
        .filter(|r| r.transport == Transport::Tcp && r.ports == Some(PortRange::single(135)))
        .collect();
    assert_eq!(epm.len(), 1);
    assert!(epm[0].services.len() >= 3, "{:?}", epm[0].services);
    let gc = plan
        .rules
        .iter()
        .find(|r| r.ports.is_some_and(|p| p.contains(3268)))
        .unwrap();
    assert_eq!(gc.ports, PortRange::new(3268, 3269), "adjacent ports fold");
}

#[test]
fn spurious_rows_are_left_out_with_their_erratum() {
    let plan = support::plan(&role("mail-server"));
    assert!(
        !plan
            .open_ports(Transport::Udp)
            .iter()
            .any(|r| r.contains(25)),
        "SMTP over UDP opened"
    );
    assert!(plan.left_out.iter().any(|l| matches!(
        &l.reason,
        LeftOutReason::Spurious { erratum, .. } if erratum == "smtp-over-udp"
    )));
    let caveat = support::caveat(&plan, CaveatKind::Spurious);
    assert_eq!(caveat.errata, ["smtp-over-udp"]);
    assert!(caveat.lines.iter().any(|l| l.contains("SMTP UDP 25")));
    let nft = render(&plan, Dialect::Nftables).to_text();
    assert!(nft.contains("erratum smtp-over-udp"), "caveat not printed");

    let lsa = support::plan(&Request::new(
        Vec::<String>::new(),
        ["local-security-authority"],
    ));
    assert!(
        !lsa.open_ports(Transport::Udp)
            .iter()
            .any(|r| r.contains(636))
    );
    assert!(lsa.caveats.iter().any(|c| c.errata == ["ldaps-over-udp"]));

    // A role that does not take a spurious row has nothing to say about it.
    let dc = support::plan(&role("domain-controller"));
    assert!(
        !dc.open_ports(Transport::Udp)
            .iter()
            .any(|r| r.contains(636))
    );
    assert!(!dc.caveats.iter().any(|c| c.errata == ["ldaps-over-udp"]));
    assert!(!dc.left_out.iter().any(|l| l.port == "636"));
}

#[test]
fn ftp_opens_control_and_passive_but_not_active_data() {
    let plan = support::plan(&role("ftp-server"));
    let tcp = plan.open_ports(Transport::Tcp);
    assert!(tcp.iter().any(|r| r.contains(21)));
    assert!(!tcp.iter().any(|r| r.contains(20)), "TCP 20 opened inbound");
    assert!(tcp.contains(&PortRange::new(1025, 5000).unwrap()));
    for kind in [CaveatKind::FtpActiveData, CaveatKind::FtpPassive] {
        assert!(plan.caveats.iter().any(|c| c.kind == kind), "{kind:?}");
    }
    assert!(
        plan.left_out
            .iter()
            .any(|l| l.reason == LeftOutReason::FtpActiveData && l.port == "20")
    );
}

#[test]
fn caveats_follow_the_services() {
    let vpn = support::plan(&role("vpn-gateway"));
    let kinds: Vec<CaveatKind> = vpn.caveats.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&CaveatKind::PptpGre), "{kinds:?}");
    assert!(kinds.contains(&CaveatKind::Ipsec), "{kinds:?}");
    assert!(!kinds.contains(&CaveatKind::RpcDynamic), "{kinds:?}");
    let tftp = support::plan(&Request::new(Vec::<String>::new(), ["tftp"]));
    assert!(tftp.caveats.iter().any(|c| c.kind == CaveatKind::TftpReply));
    let dc = support::plan(&role("domain-controller"));
    let rpc = support::caveat(&dc, CaveatKind::RpcDynamic);
    let text = rpc.lines.join("\n");
    for needle in [
        "HKLM\\SOFTWARE\\Microsoft\\Rpc\\Internet",
        "Ports (REG_MULTI_SZ)",
        "PortsInternetAvailable",
        "UseInternetPorts",
        "netsh int ipv4 set dynamicport tcp start=49152 num=16384",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}

#[test]
fn narrow_rpc_range_warns_where_netsh_cannot_set_it() {
    let request = Request {
        rpc_range: "5000-5050".parse().unwrap(),
        ..role("certificate-authority")
    };
    let plan = support::plan(&request);
    assert!(
        plan.open_ports(Transport::Tcp)
            .contains(&PortRange::new(5000, 5050).unwrap())
    );
    let rpc = support::caveat(&plan, CaveatKind::RpcDynamic);
    let text = rpc.lines.join("\n");
    assert!(text.contains("cannot set this range"), "{text}");
    assert!(text.contains("fewer than the 100"), "{text}");
}

#[test]
fn optional_services_are_marked_or_left_out() {
    let included = support::plan(&role("domain-controller"));
    let dns = included
        .rules
        .iter()
        .find(|r| r.transport == Transport::Udp && r.ports == Some(PortRange::single(53)))
        .unwrap();
    assert!(dns.optional);
    assert!(
        render(&included, Dialect::Nftables)
            .to_text()
            .contains("portolan UDP 53 (optional): DNS")
    );
    let excluded = support::plan(&Request {
        optional: OptionalPolicy::Exclude,
        ..role("domain-controller")
    });
    assert!(
        !excluded
            .open_ports(Transport::Udp)
            .iter()
            .any(|r| r.contains(53))
    );
    assert!(
        excluded
            .left_out_services
            .iter()
            .any(|s| s.id == "dns-server")
    );
    assert!(
        excluded
            .caveats
            .iter()
            .any(|c| c.kind == CaveatKind::OptionalLeftOut)
    );
    // A service asked for by name is never optional.
    let asked = support::plan(&Request {
        optional: OptionalPolicy::Exclude,
        ..Request::new(["domain-controller"], ["dns-server"])
    });
    assert!(
        asked
            .open_ports(Transport::Udp)
            .iter()
            .any(|r| r.contains(53))
    );
}

#[test]
fn windows_dialects_use_rpc_keywords_scoped_to_services() {
    let plan = support::plan(&role("domain-controller"));
    let ps = render(&plan, Dialect::Powershell).to_text();
    assert!(ps.contains("-LocalPort RPCEPMap"), "{ps}");
    assert!(ps.contains("-LocalPort RPC `"), "{ps}");
    assert!(ps.contains("-Service 'NtFrs'"), "{ps}");
    assert!(
        ps.contains("-Program '%SystemRoot%\\System32\\lsass.exe'"),
        "{ps}"
    );
    assert!(
        !ps.contains("-LocalPort 49152"),
        "dynamic range as numbers: {ps}"
    );
    let netsh = render(&plan, Dialect::Netsh).to_text();
    assert!(netsh.contains("localport=RPC-EPMap"), "{netsh}");
    assert!(netsh.contains("localport=RPC "), "{netsh}");
    assert!(netsh.contains("service=\"NtFrs\""), "{netsh}");
    assert!(!netsh.contains("localport=49152"), "{netsh}");
    assert!(plan.uses.iter().any(|u| u.kind == UseKind::RpcDynamic));
}

#[test]
fn ip_protocols_are_rules_without_ports() {
    let plan = support::plan(&role("vpn-gateway"));
    for n in [47, 50, 51] {
        let rule = plan
            .rules
            .iter()
            .find(|r| r.transport == Transport::Ip(n))
            .unwrap();
        assert_eq!(rule.ports, None);
    }
    let aws = render(&plan, Dialect::Aws);
    let json = file_ending(&aws, ".json");
    let value: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    let gre = value
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["IpProtocol"] == "47")
        .unwrap();
    assert!(gre.get("FromPort").is_none() && gre.get("ToPort").is_none());
    let azure = render(&plan, Dialect::Azure).to_text();
    assert!(azure.contains("Not rendered: GRE"), "{azure}");
    assert!(azure.contains("--protocol Esp") && azure.contains("--protocol Ah"));
    let cisco = render(&plan, Dialect::Cisco).to_text();
    assert!(cisco.contains(" permit gre any any"), "{cisco}");
    assert!(
        cisco.contains(" permit 47 any any"),
        "IPv6 GRE by number: {cisco}"
    );
    assert!(cisco.contains(" permit ahp any any"), "{cisco}");
}

fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = text.get(i + marker.len()..)?;
            let quote = rest.chars().next()?;
            let end = rest.get(1..)?.find(quote)?;
            rest.get(1..=end)
        })
        .collect()
}

#[test]
fn comments_stay_within_each_dialects_limit() {
    let plan = support::plan(&support::everything());
    let check = |dialect: Dialect, marker: &str, max: usize| {
        let text = render(&plan, dialect).to_text();
        let found = quoted_after(&text, marker);
        assert!(!found.is_empty(), "{dialect}: no {marker}");
        for c in found {
            assert!(c.len() <= max, "{dialect}: {} > {max}: {c}", c.len());
        }
    };
    check(Dialect::Nftables, "accept comment ", 128);
    check(Dialect::Iptables, "--comment ", 255);
    check(Dialect::Pf, "label ", 63);
    check(Dialect::Azure, "--description ", 140);
    let cisco = render(&plan, Dialect::Cisco).to_text();
    for line in cisco.lines().filter_map(|l| l.strip_prefix(" remark ")) {
        assert!(line.len() <= 100, "remark too long: {line}");
    }
    let aws = render(&plan, Dialect::Aws);
    for f in aws.files.iter().filter(|f| f.name.ends_with(".json")) {
        for d in quoted_after(&f.text, "\"Description\": ") {
            assert!(d.len() <= 255);
        }
    }
}

#[test]
fn limits_that_bite_are_reported() {
    let plan = support::plan(&support::everything());
    let aws = render(&plan, Dialect::Aws);
    let json_files = aws
        .files
        .iter()
        .filter(|f| f.name.ends_with(".json"))
        .count();
    assert!(json_files > 1, "70 sources must spread over several groups");
    assert!(aws.files[0].text.contains("spread over"), "not said");
    let tf = render(&plan, Dialect::Terraform).to_text();
    assert!(tf.contains("spread over"));

    // A service with 40 separate ports: one group, cut into multiport rules of 15.
    let rows: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "{{ app = \"p{i}\", transport = \"tcp\", port = {} }}",
                20000 + 2 * i
            )
        })
        .collect();
    let user = format!(
        "[[service]]\nid = \"many-ports\"\nname = \"Many ports\"\nports = [{}]\n",
        rows.join(", ")
    );
    let plan = user_service_plan(&user, "many-ports");
    let ipt = render(&plan, Dialect::Iptables).to_text();
    assert!(ipt.contains("exceed the multiport limit"), "not said");
    let v4 = ipt.split("==> rules.v6").next().unwrap();
    assert_eq!(
        v4.matches("-m multiport --dports").count(),
        3,
        "40 ports in 15+15+10"
    );
}

#[test]
fn firewalld_xml_comments_never_hold_a_double_dash() {
    // XML forbids "--" inside a comment; names from a user catalog may hold any run of dashes.
    let user = "[[service]]\nid = \"odd---service\"\nname = \"Odd---service\"\n\
                ports = [ { app = \"Odd ---- app\", transport = \"tcp\", port = 4000 } ]\n";
    let plan = user_service_plan(user, "odd---service");
    let rendered = render(&plan, Dialect::Firewalld);
    let xml = file_ending(&rendered, ".xml");
    let mut comments = 0;
    for piece in xml.text.split("<!--").skip(1) {
        let body = piece.split("-->").next().unwrap();
        comments += 1;
        assert!(!body.contains("--"), "`--` in an XML comment: {body}");
        assert!(!body.ends_with('-'), "comment body ends in `-`: {body}");
    }
    assert!(comments >= 2, "{}", xml.text);
}

#[test]
fn ufw_allows_only_the_ip_protocols_it_knows_and_says_which_it_cannot() {
    // ufw's parser takes tcp, udp, ipv6 (41), esp, ah, igmp (2), gre and vrrp (112) by name
    // and no protocol numbers.
    let user = "[[service]]\nid = \"tunnels\"\nname = \"Tunnels\"\nports = [\n\
                { app = \"6in4\", transport = \"ip/41\" },\n\
                { app = \"SCTP\", transport = \"ip/132\" },\n\
                { app = \"PPTP tunnel\", transport = \"gre\" },\n\
                { app = \"Control\", transport = \"tcp\", port = 1723 },\n]\n";
    let plan = user_service_plan(user, "tunnels");
    let rendered = render(&plan, Dialect::Ufw);
    let script = file_ending(&rendered, "-ufw.sh");
    let commands: Vec<&str> = script
        .text
        .lines()
        .filter(|l| l.starts_with("ufw allow proto"))
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("ufw allow proto ipv6 ")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("ufw allow proto gre ")),
        "{commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains("proto 132")),
        "{commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains("proto 41")),
        "{commands:?}"
    );
    assert!(
        script.text.contains("Not rendered: IP/132"),
        "{}",
        script.text
    );
}
