#!/usr/bin/env python3
"""Write SampleLogs/hospital-day/: one day (2026-11-24) at St. Hildegard General, an invented hospital.

Every person, patient, host and address here is invented. Inside addresses are 10.0.0.0/8, outside ones
come from the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24. All times are UTC
(the hospital's clocks are set to UTC to keep the story simple).

Run it from anywhere: `python3 Scripts/hospital_day.py`. It writes into SampleLogs/hospital-day/ beside
this script's repository root, uses only the standard library and takes every random choice from
random.Random(20261124), so two runs write byte-identical files.

The story
---------
1. An ordinary day, 06:00-18:00. Twenty-five clinicians (nurses of the early and a mid shift, ward
   physicians) sign in to the EHR at the workstations of their wards (ICU, 3A internal medicine,
   3B surgery, 4B cardiology, emergency department), open the charts of their own patients (ehr-access
   CHART_OPEN and the EHR's FHIR reads behind it), document vital signs, print ward lists and sign out.
   The HL7 feed carries emergency registrations, admissions, transfers, discharges, demographic
   updates and lab results; the core firewall sees DNS, HTTPS to the EHR, file shares, printing, the
   lab and registration systems talking to the interface engine, web traffic through the proxy and a
   few refused connections. Two legitimate VPN sessions in the evening (the on-call IT technician from
   home, the on-call radiologist after one mistyped password) and the nightly backup (which also reaches
   twelve servers over SMB, well under the sweep threshold) complete the day. None of this raises an
   alert above informational; the two VPN logins are recorded as informational "VPN session started".
2. Shared credentials in the ICU: the account of nurse Sabine Weiss (sweiss) signs in on WS-ICU-03 at
   06:04 and, three minutes later, on WS-ICU-06, where a float nurse without an ICU account of her own
   documents under it. Both workstations stay active under the one account all morning.
3. A snooping employee: Petra Vogt (pvogt), ward clerk of 4B, does her ward's paperwork in the morning;
   between 14:02 and 14:46 she opens the charts of 31 patients of other wards (ICU, 3A, 3B, ED) whom
   she has no reason to see.
4. A ransomware intrusion at night:
   22:41-22:47 password spraying against the SSL-VPN from 203.0.113.77 (14 user names, one or two
   tries each); 22:49 the account of IT technician Jonas Franke (jfranke), one of the names tried,
   logs in from the same address (tunnel address 10.212.134.201); 22:55-22:58 RDP sweep of 16 servers
   and 23:00-23:04 SMB sweep of 26 hosts from the tunnel address; 23:05 the ADMIN$ and C$ shares of
   fs01 opened over SMB, a PsExec service installed, and at 23:07 jfranke added to fs01's local
   Administrators by SYSTEM; 23:14 RDP logon on bkp01, 23:16 shadow copies deleted and 23:17 the
   Windows Server Backup catalog deleted; 23:30-23:32 twelve services stopped on fs01 (SQL Server,
   Veeam, Sophos, VSS, ...); 23:37 fs01's Security log cleared; 23:38-23:44 fs01 talks to
   203.0.113.200:4444; 23:58 the VPN tunnel goes down.

The files
---------
- vpn-fortigate.log: FortiGate (FortiOS 7.x) SSL-VPN event logs (login fail, tunnel up, tunnel down),
  key=value after a syslog <PRI>, as the firewall FG-SHG-01 sends them.
- firewall-core.log: FortiGate traffic logs (type="traffic" subtype="forward") of the same firewall,
  which separates wards, servers, the VPN pool (ssl.root) and the internet (wan1).
- ehr-app.log: RFC 5424 lines of the EHR application servers ehr-app01/02: ehr-auth (LOGIN,
  LOGIN_FAILED, LOGOUT with origin ip and workstation), ehr-access (CHART_OPEN), ehr-report (EXPORT of
  ward lists to printers).
- fhir-audit.jsonl: FHIR R4 AuditEvent resources of the EHR's FHIR server fhir01, one per line
  (reads and creates; the user is agent.who.identifier.value, the patient entity Patient/<MRN>).
- hl7-feed.log: the interface engine's log (hl7-engine01): an application log prefix, then the HL7 v2
  message with one segment per line (ADT^A01/A02/A03/A04/A08 from REG, ORU^R01 from LIS).
- windows-fs01.jsonl, windows-bkp01.jsonl: Windows Security and System events of the file server and
  the backup server, EVTX exported to JSON (evtx_dump's shape, one event per line).

Patient identifiers and names appear in clear in the HL7 and FHIR files (as the products write them);
wardwatch pseudonymizes them unless --reveal-phi is given.
"""

import datetime
import json
import random
import uuid
from pathlib import Path

RNG = random.Random(20261124)
UTC = datetime.timezone.utc
DAY = datetime.datetime(2026, 11, 24, tzinfo=UTC)
OUT = Path(__file__).resolve().parent.parent / "SampleLogs" / "hospital-day"
BOM = "\ufeff"


def T(h, m, s=0.0):
    """A time on the day, h:m:s (s may have a fraction)."""
    return DAY + datetime.timedelta(hours=h, minutes=m, seconds=s)


def jitter(t, lo, hi):
    """t moved by a random number of seconds in [lo, hi], to the millisecond."""
    return t + datetime.timedelta(milliseconds=RNG.randint(int(lo * 1000), int(hi * 1000)))


def iso_ms(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def hl7_ts(t):
    return t.strftime("%Y%m%d%H%M%S")


class Log:
    """Lines of one file, sorted by time (ties keep the order they were added in)."""

    def __init__(self):
        self.items = []

    def add(self, t, render):
        # render: a string, or a function called after sorting with the line's rank
        self.items.append((t, len(self.items), render))

    def lines(self):
        out = []
        for rank, (_t, _seq, render) in enumerate(sorted(self.items, key=lambda x: (x[0], x[1]))):
            out.append(render(rank) if callable(render) else render)
        return out


VPN = Log()
FW = Log()
EHR = Log()
FHIR = Log()
HL7 = Log()
FS01 = Log()
BKP01 = Log()

# --------------------------------------------------------------------------------------------
# The hospital
# --------------------------------------------------------------------------------------------

FG_DEV = 'devname="FG-SHG-01" devid="FG200FTK22004711"'
DC01, DC02 = "10.10.1.10", "10.10.1.11"
PROXY = "10.10.1.30"
EHR_APP = {"ehr-app01": "10.10.2.11", "ehr-app02": "10.10.2.12"}
FHIR01 = "10.10.2.15"
HL7_ENGINE = "10.10.5.20"
LIS_HOST, REG_HOST = "10.10.7.21", "10.10.7.31"
FS01_IP, PRT01_IP, BKP01_IP = "10.10.6.15", "10.10.6.20", "10.10.6.30"
WAN_NAT = "198.51.100.20"

WARD_NET = {"ICU": "10.30.14", "3A": "10.30.21", "3B": "10.30.22", "4B": "10.30.23", "ED": "10.30.30"}
WARD_PRINTER = {"ICU": ("PR-ICU-1", "10.40.14.21"), "3A": ("PR-3A-1", "10.40.21.21"),
                "3B": ("PR-3B-1", "10.40.22.21"), "4B": ("PR-4B-1", "10.40.23.21"),
                "ED": ("PR-ED-1", "10.40.30.21")}
ROOMS = {"ICU": ("ICU", 1), "3A": ("3A", 301), "3B": ("3B", 320), "4B": ("4B", 410), "ED": ("ED", 1)}
DOMAIN_SID = "S-1-5-21-2718281828-3141592653-1414213562"


def ws(ward, n):
    """Workstation name and address: WS-ICU-03 is 10.30.14.13."""
    return "WS-%s-%02d" % (ward, n), "%s.%d" % (WARD_NET[ward], 10 + n)


class Person:
    def __init__(self, user, first, last, role, ward, ws_no, start, end, rid, app,
                 lunch=None, n_patients=5):
        self.user, self.first, self.last, self.role, self.ward = user, first, last, role, ward
        self.ws, self.ip = ws(ward, ws_no)
        self.start, self.end, self.rid, self.app, self.lunch = start, end, rid, app, lunch
        self.n_patients = n_patients
        self.patients = []

    @property
    def display(self):
        return ("Dr. " if self.role == "physician" else "") + "%s %s" % (self.first, self.last)


# user, first, last, role, ward, workstation no., shift start, end, RID, EHR server, lunch, patients
STAFF = [
    Person("sweiss", "Sabine", "Weiss", "nurse", "ICU", 3, T(6, 4, 12.118), T(14, 31), 4101, "ehr-app01"),
    Person("tkoch", "Tobias", "Koch", "nurse", "ICU", 1, T(6, 1, 40.5), T(14, 26), 4102, "ehr-app01"),
    Person("mlang", "Miriam", "Lang", "nurse", "ICU", 5, T(6, 9, 3.2), T(14, 35), 4103, "ehr-app02"),
    Person("aroth", "Anna", "Roth", "physician", "ICU", 8, T(7, 31, 8.0), T(17, 42), 4104, "ehr-app01",
           lunch=(T(12, 10), T(12, 48)), n_patients=9),
    Person("bhahn", "Benedikt", "Hahn", "physician", "ICU", 7, T(7, 44, 51.0), T(17, 20), 4105, "ehr-app02",
           lunch=(T(12, 31), T(13, 5)), n_patients=8),
    Person("lschmid", "Lea", "Schmid", "nurse", "3A", 1, T(6, 2, 30.0), T(14, 29), 4111, "ehr-app02"),
    Person("ewolf", "Elias", "Wolf", "nurse", "3A", 2, T(6, 6, 14.0), T(14, 33), 4112, "ehr-app01"),
    Person("jbecker", "Jana", "Becker", "nurse", "3A", 3, T(6, 11, 47.0), T(14, 40), 4113, "ehr-app02"),
    Person("kmeyer", "Konrad", "Meyer", "physician", "3A", 5, T(7, 36, 2.0), T(17, 11), 4114, "ehr-app01",
           lunch=(T(12, 2), T(12, 40)), n_patients=11),
    Person("sfischer", "Selin", "Fischer", "physician", "3A", 6, T(7, 52, 20.0), T(17, 55), 4115,
           "ehr-app02", lunch=(T(12, 45), T(13, 20)), n_patients=10),
    Person("nkraus", "Nina", "Kraus", "nurse", "3B", 1, T(6, 0, 55.0), T(14, 22), 4121, "ehr-app01"),
    Person("pzimmer", "Paul", "Zimmer", "nurse", "3B", 2, T(6, 7, 33.0), T(14, 38), 4122, "ehr-app02"),
    Person("hberg", "Hanna", "Berg", "nurse", "3B", 3, T(6, 13, 9.0), T(14, 30), 4123, "ehr-app01"),
    Person("cwagner", "Carla", "Wagner", "physician", "3B", 5, T(7, 28, 40.0), T(16, 58), 4124, "ehr-app02",
           lunch=(T(12, 20), T(12, 55)), n_patients=10),
    Person("dschulz", "David", "Schulz", "physician", "3B", 6, T(7, 40, 12.0), T(17, 35), 4125, "ehr-app01",
           lunch=(T(13, 0), T(13, 34)), n_patients=9),
    Person("rkeller", "Ruth", "Keller", "nurse", "4B", 2, T(6, 3, 18.0), T(14, 27), 4131, "ehr-app02"),
    Person("ufrank", "Ulrich", "Frank", "nurse", "4B", 3, T(6, 10, 0.0), T(14, 36), 4132, "ehr-app01"),
    Person("oneumann", "Olga", "Neumann", "physician", "4B", 5, T(7, 33, 33.0), T(17, 5), 4133, "ehr-app02",
           lunch=(T(12, 15), T(12, 50)), n_patients=10),
    Person("gbraun", "Georg", "Braun", "physician", "4B", 6, T(7, 48, 5.0), T(17, 48), 4134, "ehr-app01",
           lunch=(T(12, 40), T(13, 15)), n_patients=9),
    Person("vhoffmann", "Vera", "Hoffmann", "nurse", "ED", 1, T(6, 5, 41.0), T(14, 34), 4141, "ehr-app02"),
    Person("yschwarz", "Yusuf", "Schwarz", "nurse", "ED", 2, T(6, 8, 8.0), T(14, 39), 4142, "ehr-app01"),
    Person("fkrueger", "Frieda", "Krueger", "physician", "ED", 4, T(7, 30, 15.0), T(17, 30), 4143,
           "ehr-app02", lunch=(T(12, 25), T(12, 58)), n_patients=8),
    Person("lsommer", "Lukas", "Sommer", "physician", "ED", 5, T(7, 55, 48.0), T(17, 58), 4144, "ehr-app01",
           lunch=(T(13, 10), T(13, 42)), n_patients=8),
    Person("jlorenz", "Julia", "Lorenz", "nurse", "ICU", 4, T(10, 2, 26.0), T(17, 59), 4106, "ehr-app02"),
    Person("kpeters", "Karin", "Peters", "nurse", "3A", 4, T(10, 15, 5.0), T(17, 57), 4116, "ehr-app01"),
]
CLERK = Person("pvogt", "Petra", "Vogt", "clerk", "4B", 1, T(7, 45, 10.0), T(15, 31), 4135, "ehr-app02",
               n_patients=6)
SHARED_WS = ws("ICU", 6)  # the second workstation that runs under sweiss's account
REGISTRAR = ("rhesse", "HESSE", "RITA")  # registration office, EVN-5 of the ADT messages

EHR_PID = {"ehr-app01": {"ehr-auth": 2211, "ehr-access": 3312, "ehr-report": 3390},
           "ehr-app02": {"ehr-auth": 2240, "ehr-access": 3380, "ehr-report": 3391}}

# --------------------------------------------------------------------------------------------
# The patients
# --------------------------------------------------------------------------------------------

FIRST_F = ["Anja", "Birgit", "Christa", "Doris", "Edith", "Frauke", "Gisela", "Heike", "Ilse", "Jutta",
           "Karla", "Liesel", "Marion", "Nadine", "Olivia", "Petra", "Renate", "Sonja", "Tanja", "Ursula",
           "Waltraud", "Zoe"]
FIRST_M = ["Achim", "Bernd", "Claus", "Dieter", "Egon", "Frank", "Gerd", "Helmut", "Ingo", "Jens", "Kurt",
           "Lothar", "Manfred", "Norbert", "Otto", "Peter", "Rainer", "Stefan", "Thomas", "Uwe", "Volker",
           "Werner"]
LAST = ["Albrecht", "Baumann", "Dietrich", "Ebert", "Fuchs", "Graf", "Haas", "Jung", "Kaiser", "Lehmann",
        "Marx", "Nagel", "Ott", "Pohl", "Ritter", "Sauer", "Thiel", "Voigt", "Winkler", "Ziegler", "Arnold",
        "Brandt", "Engel", "Frey", "Gross", "Horn", "Kuhn", "Lang", "Mohr", "Seidel", "Stein", "Vogel",
        "Walter", "Beck", "Busch", "Hartung", "Kolb", "Moser", "Pfeiffer", "Reuter"]
STREETS = ["Lindenweg", "Am Anger", "Bahnhofstrasse", "Kirchgasse", "Muehlenweg", "Rosenstrasse",
           "Schulstrasse", "Gartenweg", "Bergstrasse", "Feldstrasse"]
TOWNS = [("Musterstadt", "12345"), ("Beispielheim", "12350"), ("Hildenau", "12361"), ("Talbach", "12377")]
ATTENDING = {"ICU": ("5104", "ROTH", "ANNA"), "3A": ("5114", "MEYER", "KONRAD"),
             "3B": ("5124", "WAGNER", "CARLA"), "4B": ("5133", "NEUMANN", "OLGA"),
             "ED": ("5143", "KRUEGER", "FRIEDA")}


class Patient:
    def __init__(self, mrn, ward, bed, arrive=None, leave=None):
        self.mrn, self.ward, self.bed, self.arrive, self.leave = mrn, ward, bed, arrive, leave
        self.sex = RNG.choice("FM")
        self.first = RNG.choice(FIRST_F if self.sex == "F" else FIRST_M)
        self.middle = RNG.choice("ABCDEFGHJKLMNPRSTW")
        self.last = RNG.choice(LAST)
        self.dob = datetime.date(RNG.randint(1931, 2004), RNG.randint(1, 12), RNG.randint(1, 28))
        town, zipc = RNG.choice(TOWNS)
        self.address = "%s %d^^%s^^%s^DE" % (RNG.choice(STREETS), RNG.randint(1, 88), town, zipc)
        self.phone = "^PRN^PH^^49^6251^%d" % RNG.randint(100000, 999999)
        self.visit = "V%07d" % RNG.randint(1000000, 9999999)
        self.moves = []  # (time, new ward, new bed)

    def present(self, t):
        return (self.arrive is None or self.arrive <= t) and (self.leave is None or t < self.leave)

    def ward_at(self, t):
        ward, bed = self.ward, self.bed
        for when, w, b in self.moves:
            if when <= t:
                ward, bed = w, b
        return ward, bed

    def pv1_location(self, t):
        ward, bed = self.ward_at(t)
        room, base = ROOMS[ward]
        if ward in ("ICU", "ED"):
            return "%s^%02d^1^GH" % (room, base + bed)
        return "%s^%d^%d^GH" % (room, base + bed // 2, bed % 2 + 1)


used_mrns = []


def new_mrn():
    while True:
        mrn = "4%07d" % RNG.randint(0, 9999999)
        if mrn not in used_mrns:
            used_mrns.append(mrn)
            return mrn


CENSUS = {"ICU": 10, "3A": 14, "3B": 14, "4B": 12, "ED": 5}
PATIENTS = []
for _ward, _n in CENSUS.items():
    for _bed in range(_n):
        PATIENTS.append(Patient(new_mrn(), _ward, _bed))


def ward_patients(ward, t):
    return [p for p in PATIENTS if p.present(t) and p.ward_at(t)[0] == ward]


# --------------------------------------------------------------------------------------------
# Writers, one per format
# --------------------------------------------------------------------------------------------

def ehr_line(t, host, app, pri, msgid, sd, msg):
    pid = EHR_PID[host][app]
    text = "<%d>1 %s %s.shg.example %s %d %s %s" % (pri, iso_ms(t), host, app, pid, msgid, sd)
    EHR.add(t, text + (" " + BOM + msg if msg else ""))


def ehr_login(t, p, ws_name, ws_ip, method="password"):
    ehr_line(t, p.app, "ehr-auth", 86, "LOGIN",
             '[origin ip="%s" software="ehr-auth" swVersion="4.2.1"][session@32473 user="%s" '
             'workstation="%s" method="%s"]' % (ws_ip, p.user, ws_name, method), "User signed in")


def ehr_login_failed(t, p, ws_name, ws_ip, reason="bad password"):
    ehr_line(t, p.app, "ehr-auth", 85, "LOGIN_FAILED",
             '[origin ip="%s" software="ehr-auth" swVersion="4.2.1"][session@32473 user="%s" '
             'workstation="%s" method="password" reason="%s"]' % (ws_ip, p.user, ws_name, reason),
             "Sign-in failed")


def ehr_logout(t, p, ws_name, reason="user"):
    ehr_line(t, p.app, "ehr-auth", 86, "LOGOUT",
             '[session@32473 user="%s" workstation="%s" reason="%s"]' % (p.user, ws_name, reason),
             "User signed out")


def ehr_chart_open(t, p, ws_name):
    ehr_line(t, p.app, "ehr-access", 86, "CHART_OPEN",
             '[access@32473 user="%s" role="%s" scope="chart" workstation="%s"]' % (p.user, p.role, ws_name),
             "Chart opened")


def ehr_print(t, p, rows, what):
    name, _ip = WARD_PRINTER[p.ward]
    ehr_line(t, p.app, "ehr-report", 86, "EXPORT",
             '[export@32473 user="%s" report="%s" rows="%d" format="pdf" destination="printer://%s"]'
             % (p.user, what, rows, name), "Report printed")


def fhir_event(t, p, ip, patient, interaction="read", resource=None):
    action = {"read": "R", "create": "C", "update": "U", "vread": "R"}[interaction]
    entities = [{"what": {"reference": "Patient/%s" % patient.mrn},
                 "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                          "code": "1", "display": "Person"},
                 "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role",
                          "code": "1", "display": "Patient"}}]
    if resource:
        entities.append({"what": {"reference": resource},
                         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                                  "code": "2", "display": "System Object"},
                         "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role",
                                  "code": "4", "display": "Domain Resource"}})
    ev = {
        "resourceType": "AuditEvent",
        "id": str(uuid.UUID(int=RNG.getrandbits(128), version=4)),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": interaction,
                     "display": interaction}],
        "action": action,
        "recorded": iso_ms(t),
        "outcome": "0",
        "agent": [
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                  "code": "IRCP", "display": "information recipient"}]},
             "who": {"identifier": {"system": "urn:oid:1.2.276.0.76.3.1.580.1", "value": p.user},
                     "display": p.display},
             "requestor": True,
             "network": {"address": ip, "type": "2"}},
            {"type": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM",
                                  "code": "110150", "display": "Application"}]},
             "who": {"display": "%s.shg.example" % p.app},
             "requestor": False},
        ],
        "source": {"site": "fhir-prod", "observer": {"display": "fhir01.shg.example"},
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                             "code": "4", "display": "Application Server"}]},
        "entity": entities,
    }
    FHIR.add(t, json.dumps(ev, separators=(",", ":")))


FG_SESSION = [61204417]


def fg_prefix(t, level):
    pri = 184 + {"alert": 1, "warning": 4, "notice": 5, "information": 6}[level]
    ns = int(t.timestamp()) * 1000000000 + t.microsecond * 1000
    return '<%d>date=%s time=%s %s eventtime=%d tz="+0000"' % (
        pri, t.strftime("%Y-%m-%d"), t.strftime("%H:%M:%S"), FG_DEV, ns)


SERVICE = {53: "DNS", 443: "HTTPS", 445: "SMB", 9100: "tcp/9100", 2575: "tcp/2575", 3389: "RDP",
           8080: "tcp/8080", 123: "NTP", 4444: "tcp/4444", 88: "KERBEROS", 389: "LDAP"}


def fw(t, src, dst, dport, action="close", srcintf="wards", dstintf="servers", proto=6, policy=None,
       duration=None, sent=None, rcvd=None, app_nat=False):
    """One FortiGate traffic log line, written at the session's end (t)."""
    step = RNG.randint(3, 400)
    sport = RNG.randint(49152, 65000)
    if action == "deny":
        duration, sent, rcvd, policy = 0, 0, 0, 0 if policy is None else policy
    else:
        duration = RNG.randint(1, 120) if duration is None else duration
        sent = RNG.randint(400, 9000) if sent is None else sent
        rcvd = RNG.randint(800, 90000) if rcvd is None else rcvd
    role = lambda i: "wan" if i == "wan1" else ("undefined" if i == "ssl.root" else "lan")
    line = (fg_prefix(t, "notice") +
            ' logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root"'
            ' srcip=%s srcport=%d srcintf="%s" srcintfrole="%s" dstip=%s dstport=%d dstintf="%s"'
            ' dstintfrole="%s" sessionid=%%d proto=%d action="%s" policyid=%d policytype="policy"'
            ' service="%s"' % (src, sport, srcintf, role(srcintf), dst, dport, dstintf, role(dstintf),
                               proto, action, policy if policy is not None else 10,
                               SERVICE.get(dport, "tcp/%d" % dport)))
    if app_nat:
        line += ' trandisp="snat" transip=%s transport=%d' % (WAN_NAT, RNG.randint(20000, 60000))
    else:
        line += ' trandisp="noop"'
    line += ' duration=%d sentbyte=%d rcvdbyte=%d' % (duration, sent, rcvd)
    if action != "deny" and proto == 6:
        line += ' sentpkt=%d rcvdpkt=%d' % (max(1, sent // 700), max(1, rcvd // 1200))

    def render(_rank):
        # session ids grow in the order the log lines are written
        FG_SESSION[0] += step
        return line.replace("sessionid=%d", "sessionid=%d" % FG_SESSION[0], 1)
    FW.add(t, render)


def vpn(t, level, logid, logdesc, action, tunneltype, tunnelid, remip, country, user, group, extra, msg):
    VPN.add(t, fg_prefix(t, level) +
            ' logid="%s" type="event" subtype="vpn" level="%s" vd="root" logdesc="%s" action="%s"'
            ' tunneltype="%s" tunnelid=%d remip=%s srccountry="%s"%s user="%s" group="%s"'
            ' dst_host="N/A"%s msg="%s"' % (logid, level, logdesc, action, tunneltype, tunnelid, remip, country,
                                            extra[0], user, group, extra[1], msg))


def vpn_fail(t, remip, country, user, reason="sslvpn_login_permission_denied"):
    vpn(t, "alert", "0101039426", "SSL VPN login fail", "ssl-login-fail", "ssl-web", 0, remip, country,
        user, "N/A", ("", ' reason="%s"' % reason), "SSL user failed to logged in")


def vpn_up(t, remip, country, user, group, tunnelid, tunnelip):
    vpn(t, "information", "0101039424", "SSL VPN tunnel up", "tunnel-up", "ssl-tunnel", tunnelid, remip,
        country, user, group, (" tunnelip=%s" % tunnelip, ' reason="tunnel established"'),
        "SSL tunnel established")


def vpn_down(t, remip, country, user, group, tunnelid, tunnelip, duration, sent, rcvd):
    vpn(t, "information", "0101039425", "SSL VPN tunnel down", "tunnel-down", "ssl-tunnel", tunnelid, remip,
        country, user, group, (" tunnelip=%s" % tunnelip,
                               ' reason="%s" duration=%d sentbyte=%d rcvdbyte=%d' % (
                                   "user-logout" if duration < 3600 else "idle-timeout", duration, sent,
                                   rcvd)),
        "SSL tunnel shutdown")


# HL7 v2 through the interface engine's log -----------------------------------------------------

HL7_SEQ = {"REG": 41870, "LIS": 88210, "EHR": 20350}
HL7_FAC = {"REG": "GH", "LIS": "GH-LAB", "EHR": "GH"}
HL7_CHANNEL = {"REG": "ADT_IN", "LIS": "LAB_RESULTS", "EHR": "ORDERS_OUT"}


def hl7_message(t, sender, msgtype, segments, receiver="EHR"):
    version = "2.5.1" if sender == "LIS" else "2.5"
    structure = msgtype.replace("^", "_")
    if msgtype in ("ADT^A02", "ADT^A03", "ADT^A04", "ADT^A08"):
        structure = {"ADT^A02": "ADT_A02", "ADT^A03": "ADT_A03", "ADT^A04": "ADT_A01",
                     "ADT^A08": "ADT_A01"}[msgtype]
    msh = "MSH|^~\\&|%s|%s|%s|GH|%s||%s^%s|{control}|P|%s|||AL|NE|DEU|8859/1" % (
        sender, HL7_FAC[sender], receiver, hl7_ts(t), msgtype, structure, version)
    logged = jitter(t, 0.05, 0.9)
    prefix = "%s,%03d INFO  [channel %s] received: " % (logged.strftime("%Y-%m-%d %H:%M:%S"),
                                                        logged.microsecond // 1000, HL7_CHANNEL[sender])
    text = "\n".join([prefix + msh] + segments)

    def render(_rank):
        # message control ids grow per sender in the order the engine logged the messages
        HL7_SEQ[sender] += 1
        return text.replace("{control}", "%s%06d" % (sender, HL7_SEQ[sender]), 1)
    HL7.add(logged, render)


def pid_segment(p):
    return "PID|1||%s^^^GH^MR||%s^%s^%s||%s|%s|||%s||%s" % (
        p.mrn, p.last.upper(), p.first.upper(), p.middle, p.dob.strftime("%Y%m%d"), p.sex, p.address, p.phone)


def pv1_segment(p, t, patient_class=None, prior=None, admit=None):
    """PV1: class (2), location (3), prior location (6), attending (7), service (10), visit (19),
    admit time (44)."""
    doc = ATTENDING[p.ward_at(t)[0]]
    if patient_class is None:
        patient_class = "E" if p.ward_at(t)[0] == "ED" else "I"
    fields = [""] * 45
    fields[0], fields[1], fields[2], fields[3] = "PV1", "1", patient_class, p.pv1_location(t)
    fields[6] = prior or ""
    fields[7] = "%s^%s^%s" % doc
    fields[10] = {"ICU": "MED", "3A": "MED", "3B": "SUR", "4B": "CAR", "ED": "EME"}[p.ward_at(t)[0]]
    fields[19] = "%s^^^GH^VN" % p.visit
    fields[44] = hl7_ts(admit) if admit else ""
    return "|".join(fields).rstrip("|")


def evn_segment(code, t):
    return "EVN|%s|%s|||%s^%s^%s" % (code, hl7_ts(t), REGISTRAR[0], REGISTRAR[1], REGISTRAR[2])


LABS = {
    "CBC": [("718-7", "Hemoglobin", "g/dL", (10.5, 15.8), "12.0-16.0"),
            ("6690-2", "Leukocytes", "10*3/uL", (4.1, 14.2), "4.0-10.0"),
            ("777-3", "Platelets", "10*3/uL", (140, 390), "150-400")],
    "BMP": [("2951-2", "Sodium", "mmol/L", (131, 146), "135-145"),
            ("2823-3", "Potassium", "mmol/L", (3.3, 5.4), "3.5-5.0"),
            ("2160-0", "Creatinine", "mg/dL", (0.6, 2.1), "0.6-1.2"),
            ("2345-7", "Glucose", "mg/dL", (72, 210), "70-105")],
    "TROP": [("89579-7", "Troponin I high sensitivity", "ng/L", (2, 60), "0-26")],
    "CRP": [("1988-5", "C reactive protein", "mg/L", (1, 120), "0-5")],
}
LAB_NAME = {"CBC": ("58410-2", "CBC panel"), "BMP": ("51990-0", "Basic metabolic panel"),
            "TROP": ("89579-7", "Troponin I hs"), "CRP": ("1988-5", "CRP")}


def oru(t, p, panel):
    order = "ORD%06d" % RNG.randint(100000, 999999)
    filler = "LAB%07d" % RNG.randint(1000000, 9999999)
    collected = t - datetime.timedelta(minutes=RNG.randint(35, 80))
    code, name = LAB_NAME[panel]
    segs = [pid_segment(p), pv1_segment(p, t),
            "ORC|RE|%s^EHR|%s^LIS||CM" % (order, filler),
            "OBR|1|%s^EHR|%s^LIS|%s^%s^LN|||%s|||||||||%s^%s^%s||||||%s|||F" % (
                order, filler, code, name, hl7_ts(collected), *ATTENDING[p.ward_at(t)[0]], hl7_ts(t))]
    for i, (loinc, label, unit, (lo, hi), ref) in enumerate(LABS[panel], 1):
        shown = ("%.0f" if hi >= 100 else "%.1f") % RNG.uniform(lo, hi)
        value = float(shown)
        low, high = [float(x) for x in ref.split("-")]
        flag = "H" if value > high else ("L" if value < low else "N")
        segs.append("OBX|%d|NM|%s^%s^LN||%s|%s|%s|%s|||F|||%s" % (i, loinc, label, shown, unit, ref, flag,
                                                                  hl7_ts(t)))
    hl7_message(t, "LIS", "ORU^R01", segs)


# Windows events (EVTX exported to JSON) ----------------------------------------------------------

RECORD_ID = {("FS01", "Security"): 8841207, ("FS01", "System"): 412930,
             ("BKP01", "Security"): 2219034, ("BKP01", "System"): 190455}


def win_event(log, host, t, provider, guid, event_id, channel, data, version=0, level=0, task=0,
              keywords="0x8020000000000000", qualifiers=None, security=None, data_key="EventData",
              pid=(None, None), source_name=False):
    """Render after sorting, so that EventRecordID grows with time on each host and channel."""
    t = t + datetime.timedelta(microseconds=RNG.randint(0, 999))
    def render(_rank):
        RECORD_ID[(host, channel)] += 1
        prov = {"Name": provider, "Guid": guid}
        if source_name:
            prov["EventSourceName"] = provider
        system = {
            "Provider": {"#attributes": prov},
            "EventID": event_id if qualifiers is None else {"#attributes": {"Qualifiers": qualifiers},
                                                            "#text": event_id},
            "Version": version, "Level": level, "Task": task, "Opcode": 0, "Keywords": keywords,
            "TimeCreated": {"#attributes": {"SystemTime": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}},
            "EventRecordID": RECORD_ID[(host, channel)],
            "Correlation": None,
            "Execution": {"#attributes": {"ProcessID": pid[0], "ThreadID": pid[1]}},
            "Channel": channel,
            "Computer": "%s.hildegard.local" % host,
            "Security": None if security is None else {"#attributes": {"UserID": security}},
        }
        event = {"Event": {"#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                           "System": system, data_key: data}}
        return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    log.add(t, render)


SEC = ("Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-a5ba-3e3b0328c30d}")
SCM = ("Service Control Manager", "{555908d1-a6d7-4695-8e1e-26931d2012f4}")
LSASS_PID = {"FS01": 692, "BKP01": 708}


def logon_id():
    return "0x%x" % RNG.randint(0x1000000, 0x9ffffff)


def sec_4624(log, host, t, user, rid, ip, logon_type=3, ntlm=False, workstation="-", lid=None):
    data = {"SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
            "SubjectLogonId": "0x0", "TargetUserSid": "%s-%d" % (DOMAIN_SID, rid), "TargetUserName": user,
            "TargetDomainName": "HILDEGARD", "TargetLogonId": lid or logon_id(), "LogonType": logon_type,
            "LogonProcessName": "NtLmSsp " if ntlm else ("User32 " if logon_type == 10 else "Kerberos"),
            "AuthenticationPackageName": "NTLM" if ntlm else "Kerberos",
            "WorkstationName": workstation,
            "LogonGuid": "{00000000-0000-0000-0000-000000000000}" if ntlm else
            "{%s}" % uuid.UUID(int=RNG.getrandbits(128), version=4),
            "TransmittedServices": "-", "LmPackageName": "NTLM V2" if ntlm else "-",
            "KeyLength": 128 if ntlm else 0,
            "ProcessId": "0x0" if logon_type == 3 else "0x%x" % RNG.randint(0x400, 0x3000),
            "ProcessName": "-" if logon_type == 3 else "C:\\Windows\\System32\\svchost.exe",
            "IpAddress": ip, "IpPort": str(RNG.randint(49152, 65000)),
            "ImpersonationLevel": "%%1833", "RestrictedAdminMode": "-" if logon_type != 10 else "%%1843",
            "TargetOutboundUserName": "-", "TargetOutboundDomainName": "-", "VirtualAccount": "%%1843",
            "TargetLinkedLogonId": "0x0", "ElevatedToken": "%%1842" if user == "jfranke" else "%%1843"}
    win_event(log, host, t, *SEC, 4624, "Security", data, version=2, task=12544,
              pid=(LSASS_PID[host], RNG.randint(700, 9000)))
    return data["TargetLogonId"]


def sec_4634(log, host, t, user, rid, lid, logon_type=3):
    data = {"TargetUserSid": "%s-%d" % (DOMAIN_SID, rid), "TargetUserName": user,
            "TargetDomainName": "HILDEGARD", "TargetLogonId": lid, "LogonType": logon_type}
    win_event(log, host, t, *SEC, 4634, "Security", data, task=12545,
              pid=(LSASS_PID[host], RNG.randint(700, 9000)))


def sec_5140(log, host, t, user, rid, lid, ip, share, path):
    data = {"SubjectUserSid": "%s-%d" % (DOMAIN_SID, rid), "SubjectUserName": user,
            "SubjectDomainName": "HILDEGARD", "SubjectLogonId": lid, "ObjectType": "File", "IpAddress": ip,
            "IpPort": str(RNG.randint(49152, 65000)), "ShareName": "\\\\*\\" + share,
            "ShareLocalPath": "\\??\\" + path, "AccessMask": "0x1", "AccessList": "%%4416\r\n\t\t\t\t"}
    win_event(log, host, t, *SEC, 5140, "Security", data, version=1, task=12808, pid=(4, RNG.randint(3000, 9000)))


def sec_4688(log, host, t, user, rid, lid, image, cmdline, parent, system_user=False):
    data = {"SubjectUserSid": "S-1-5-18" if system_user else "%s-%d" % (DOMAIN_SID, rid),
            "SubjectUserName": ("%s$" % host) if system_user else user,
            "SubjectDomainName": "HILDEGARD", "SubjectLogonId": "0x3e7" if system_user else lid,
            "NewProcessId": "0x%x" % RNG.randint(0x400, 0x3fff), "NewProcessName": image,
            "TokenElevationType": "%%1936" if system_user else "%%1937",
            "ProcessId": "0x%x" % RNG.randint(0x400, 0x3fff), "CommandLine": cmdline,
            "TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0",
            "ParentProcessName": parent, "MandatoryLabel": "S-1-16-16384" if system_user else "S-1-16-12288"}
    win_event(log, host, t, *SEC, 4688, "Security", data, version=2, task=13312, pid=(4, RNG.randint(3000, 9000)))


def sys_7036(log, host, t, name, key, state="stopped"):
    code = "1" if state == "stopped" else "4"
    binary = (key + "/" + code).encode("utf-16-le").hex().upper() + "0000"
    win_event(log, host, t, *SCM, 7036, "System", {"param1": name, "param2": state, "Binary": binary},
              level=4, keywords="0x8080000000000000", qualifiers=16384, source_name=True,
              pid=(700 if host == "FS01" else 716, RNG.randint(1000, 9000)))


# --------------------------------------------------------------------------------------------
# 1. The ordinary day
# --------------------------------------------------------------------------------------------

def hl7_day():
    """Registrations, admissions, transfers, discharges, updates and lab results from 06:00 to 18:00."""
    # Morning labs for every inpatient who is there at 06:00 (drawn 05:00-05:45, results 06:10-07:40).
    inpatients = [p for p in PATIENTS if p.ward != "ED"]
    for p in RNG.sample(inpatients, 16):
        t = T(6, 10) + datetime.timedelta(seconds=RNG.randint(0, 90 * 60))
        oru(t, p, RNG.choice(["CBC", "BMP", "BMP", "CRP"]))
    # Emergency department: eight arrivals (A04), stat labs, three admitted upstairs (A02 + A01),
    # the rest sent home (A03).
    arrivals = [T(6, 42, 10), T(7, 58, 31), T(8, 47, 2), T(9, 36, 44), T(10, 51, 9), T(11, 43, 30),
                T(13, 12, 5), T(15, 4, 50)]
    destinations = {1: ("4B", 12), 3: ("ICU", 10), 5: ("3A", 14)}
    for i, t in enumerate(arrivals):
        p = Patient(new_mrn(), "ED", 5 + i, arrive=t)
        PATIENTS.append(p)
        hl7_message(t, "REG", "ADT^A04", [evn_segment("A04", t), pid_segment(p),
                                           pv1_segment(p, t, "E", admit=t)])
        oru(t + datetime.timedelta(minutes=RNG.randint(45, 70)), p, RNG.choice(["TROP", "CBC", "BMP"]))
        if i in destinations:
            ward, bed = destinations[i]
            tt = t + datetime.timedelta(minutes=RNG.randint(150, 200))
            p.moves.append((tt, ward, bed))
            hl7_message(tt, "REG", "ADT^A01", [evn_segment("A01", tt), pid_segment(p),
                                                pv1_segment(p, tt, "I", admit=tt)])
        else:
            tt = t + datetime.timedelta(minutes=RNG.randint(120, 240))
            if tt < T(18, 0):
                p.leave = tt
                hl7_message(tt, "REG", "ADT^A03", [evn_segment("A03", tt), pid_segment(p),
                                                    pv1_segment(p, tt - datetime.timedelta(seconds=1), "E")])
    # Two elective surgical admissions on 3B (their beds are free after the morning discharges).
    for t, bed in ((T(7, 12, 44), 14), (T(9, 5, 18), 15)):
        p = Patient(new_mrn(), "3B", bed, arrive=t)
        PATIENTS.append(p)
        hl7_message(t, "REG", "ADT^A01", [evn_segment("A01", t), pid_segment(p), pv1_segment(p, t, "I", admit=t)])
        oru(t + datetime.timedelta(minutes=RNG.randint(50, 80)), p, "CBC")
    # Transfers: ICU -> 3A, 3B -> ICU (after surgery complications).
    for (ward_from, idx, ward_to, bed, t) in (("ICU", 2, "3A", 15, T(11, 20, 3)), ("3B", 6, "ICU", 11, T(15, 41, 27))):
        p = [x for x in PATIENTS if x.ward == ward_from][idx]
        prior = p.pv1_location(t)
        p.moves.append((t, ward_to, bed))
        hl7_message(t, "REG", "ADT^A02", [evn_segment("A02", t), pid_segment(p),
                                           pv1_segment(p, t, prior=prior)])
    # Discharges from the wards, late morning to early afternoon.
    for (ward, idx, t) in (("3A", 0, T(10, 5, 40)), ("3A", 7, T(11, 32, 12)), ("3B", 1, T(9, 48, 55)),
                           ("3B", 9, T(13, 20, 31)), ("4B", 3, T(10, 44, 9)), ("4B", 10, T(14, 17, 46))):
        p = [x for x in PATIENTS if x.ward == ward and x.arrive is None][idx]
        hl7_message(t, "REG", "ADT^A03", [evn_segment("A03", t), pid_segment(p), pv1_segment(p, t)])
        p.leave = t + datetime.timedelta(seconds=1)
    # Demographic / insurance updates.
    for t in (T(8, 22, 17), T(9, 58, 3), T(11, 2, 41), T(13, 47, 20), T(16, 9, 8)):
        p = RNG.choice([x for x in PATIENTS if x.present(t)])
        hl7_message(t, "REG", "ADT^A08", [evn_segment("A08", t), pid_segment(p), pv1_segment(p, t)])
    # Lab results during the day: troponin and electrolytes controls on ICU and 4B, a few others.
    for _ in range(10):
        t = T(9, 0) + datetime.timedelta(seconds=RNG.randint(0, 8 * 3600 + 40 * 60))
        ward = RNG.choice(["ICU", "ICU", "4B", "4B", "3A", "3B"])
        candidates = ward_patients(ward, t)
        oru(t, RNG.choice(candidates), "TROP" if ward == "4B" else RNG.choice(["BMP", "CBC", "CRP"]))


def assign_patients():
    """Each clinician's own patients: those of the ward (physicians see more of them)."""
    for p in STAFF + [CLERK]:
        ward_list = [x for x in PATIENTS if x.ward == p.ward or any(w == p.ward for _t, w, _b in x.moves)]
        if p.role == "nurse" and p.ward not in ("ED",):
            k = min(len(ward_list), RNG.randint(4, 6))
        else:
            k = min(len(ward_list), p.n_patients)
        p.patients = RNG.sample(ward_list, k)


def present_on_ward(person, patient, t):
    return patient.present(t) and patient.ward_at(t)[0] == person.ward


def fw_session_start(p, t, ip):
    """What a workstation does on the network when someone signs in."""
    fw(jitter(t, 0.3, 2), ip, DC01, 53, action="accept", proto=17, duration=180, sent=74, rcvd=190, policy=11)
    fw(jitter(t, 1, 5), ip, DC01, 88, policy=11, duration=1, sent=1610, rcvd=1488)
    fw(jitter(t, 20, 90), ip, EHR_APP[p.app], 443, policy=12)


def chart_activity(p, t_from, t_to, ws_name, ip, patients, mean_gap=11.0):
    """Chart opens (ehr-access + FHIR read) and some documentation from one workstation."""
    t = t_from + datetime.timedelta(seconds=RNG.randint(40, 240))
    while t < t_to - datetime.timedelta(minutes=2):
        here = [x for x in patients if present_on_ward(p, x, t)]
        if here:
            pat = RNG.choice(here)
            ehr_chart_open(t, p, ws_name)
            fhir_event(jitter(t, 0.05, 0.4), p, ip, pat)
            if RNG.random() < 0.25:
                fhir_event(jitter(t, 1, 6), p, ip, pat, "read",
                           "Observation/obs-%d" % RNG.randint(1000000, 9999999))
            if p.role == "nurse" and RNG.random() < 0.35:
                fhir_event(jitter(t, 60, 240), p, ip, pat, "create",
                           "Observation/obs-%d" % RNG.randint(1000000, 9999999))
            if RNG.random() < 0.12:
                fw(jitter(t, 30, 300), ip, EHR_APP[p.app], 443, policy=12)
        t += datetime.timedelta(seconds=RNG.expovariate(1.0 / (mean_gap * 60)) + 90)


def shift(p):
    """One clinician's day: sign-in, file share, charts, a printout, lunch, sign-out."""
    fw_session_start(p, p.start, p.ip)
    ehr_login(p.start, p, p.ws, p.ip, RNG.choice(["password", "badge", "badge"]))
    fw(jitter(p.end, 5, 40), p.ip, FS01_IP, 445, policy=14, duration=int((p.end - p.start).total_seconds()),
       sent=RNG.randint(200000, 2000000), rcvd=RNG.randint(2000000, 40000000))
    periods = [(p.start, p.end)]
    if p.lunch:
        periods = [(p.start, p.lunch[0]), (p.lunch[1], p.end)]
        ehr_logout(p.lunch[0], p, p.ws)
        back = p.lunch[1]
        fw_session_start(p, back, p.ip)
        ehr_login(back, p, p.ws, p.ip, "badge")
    gap = 32.0 if p.role == "physician" else 50.0
    for a, b in periods:
        chart_activity(p, a, b, p.ws, p.ip, p.patients, gap)
    # A ward list printed once per shift.
    if p.role == "nurse" or RNG.random() < 0.4:
        tp = p.start + datetime.timedelta(minutes=RNG.randint(20, 90))
        ehr_print(tp, p, len(ward_patients(p.ward, tp)), RNG.choice(["ward-list", "handover", "medication-plan"]))
        name, printer_ip = WARD_PRINTER[p.ward]
        fw(jitter(tp, 2, 8), EHR_APP[p.app], printer_ip, 9100, srcintf="servers", dstintf="printers", policy=15,
           sent=RNG.randint(40000, 240000), rcvd=RNG.randint(300, 900))
    ehr_logout(p.end, p, p.ws, RNG.choice(["user", "user", "idle-timeout"]))
    # the workstation's session to the file server (Kerberos network logon, Wards share)
    lid = sec_4624(FS01, "FS01", jitter(p.start, 2, 8), p.user, p.rid, p.ip)
    sec_5140(FS01, "FS01", jitter(p.start, 9, 15), p.user, p.rid, lid, p.ip, "Wards", "D:\\Shares\\Wards")
    sec_4634(FS01, "FS01", jitter(p.end, 20, 60), p.user, p.rid, lid)


def typos():
    """Two mistyped passwords (followed by a sign-in) are ordinary."""
    for user in ("ewolf", "cwagner"):
        p = [x for x in STAFF if x.user == user][0]
        ehr_login_failed(p.start - datetime.timedelta(seconds=RNG.randint(8, 25)), p, p.ws, p.ip)


def network_background():
    """Traffic that is not tied to one person."""
    # DNS and Kerberos of the servers, proxy traffic to the internet, NTP.
    for _ in range(25):
        t = T(6, 0) + datetime.timedelta(seconds=RNG.randint(0, 12 * 3600))
        fw(t, PROXY, "%s.%d" % (RNG.choice(["198.51.100", "192.0.2"]), RNG.randint(2, 250)), 443,
           srcintf="servers", dstintf="wan1", policy=30, app_nat=True, duration=RNG.randint(2, 300),
           sent=RNG.randint(2000, 40000), rcvd=RNG.randint(10000, 4000000))
    for _ in range(15):
        t = T(6, 0) + datetime.timedelta(seconds=RNG.randint(0, 12 * 3600))
        ward = RNG.choice(list(WARD_NET))
        ip = "%s.%d" % (WARD_NET[ward], RNG.randint(11, 18))
        fw(t, ip, PROXY, 8080, policy=13, duration=RNG.randint(3, 400))
    for h in (6, 8, 10, 12, 14, 16):
        fw(T(h, 0, RNG.randint(1, 50)), DC01, "192.0.2.123", 123, action="accept", proto=17, srcintf="servers",
           dstintf="wan1", policy=31, app_nat=True, duration=180, sent=76, rcvd=76)
    # Lab and registration systems keep MLLP connections to the interface engine (reconnect hourly).
    for h in range(6, 18):
        fw(T(h, 59, RNG.randint(0, 59)), LIS_HOST, HL7_ENGINE, 2575, srcintf="lab", dstintf="servers", policy=20,
           duration=3600, sent=RNG.randint(40000, 120000), rcvd=RNG.randint(4000, 12000))
        fw(T(h, 59, RNG.randint(0, 59)), REG_HOST, HL7_ENGINE, 2575, srcintf="lab", dstintf="servers", policy=20,
           duration=3600, sent=RNG.randint(20000, 60000), rcvd=RNG.randint(3000, 9000))
    # A few refused connections: guest Wi-Fi to the EHR, a workstation trying an outside DNS server.
    for t in (T(9, 12, 4), T(9, 12, 7), T(15, 40, 30)):
        fw(t, "10.50.8.%d" % RNG.randint(20, 200), EHR_APP["ehr-app01"], 443, action="deny",
           srcintf="guest-wifi", dstintf="servers")
    for t in (T(11, 3, 12), T(11, 3, 14)):
        fw(t, "10.30.22.15", "192.0.2.53", 53, action="deny", proto=17, dstintf="wan1")


def fs01_background():
    """The file server's own day: Windows Update's installer service, the search indexer."""
    sys_7036(FS01, "FS01", T(12, 3, 11.2), "Windows Modules Installer", "TrustedInstaller", "running")
    sys_7036(FS01, "FS01", T(12, 13, 44.9), "Windows Modules Installer", "TrustedInstaller", "stopped")
    sys_7036(FS01, "FS01", T(16, 30, 2.4), "Windows Update", "wuauserv", "running")
    sys_7036(FS01, "FS01", T(16, 41, 58.0), "Windows Update", "wuauserv", "stopped")


def nightly_backup():
    """20:00 Windows Server Backup on bkp01 and its SMB reads of twelve servers (not a sweep)."""
    lid = "0x3e7"
    sys_7036(BKP01, "BKP01", T(20, 0, 0.4), "Block Level Backup Engine Service", "wbengine", "running")
    sec_4688(BKP01, "BKP01", T(20, 0, 1.1), "BKP01$", 0, lid, "C:\\Windows\\System32\\wbadmin.exe",
             "wbadmin start backup -backupTarget:E: -include:D:\\Backups -vssCopy -quiet",
             "C:\\Windows\\System32\\taskeng.exe", system_user=True)
    sys_7036(BKP01, "BKP01", T(20, 0, 3.9), "Volume Shadow Copy", "VSS", "running")
    sec_4688(BKP01, "BKP01", T(20, 0, 9.5), "BKP01$", 0, lid, "C:\\Windows\\System32\\vssadmin.exe",
             "vssadmin list shadows /for=D:", "C:\\Windows\\System32\\cmd.exe", system_user=True)
    sys_7036(BKP01, "BKP01", T(20, 38, 12.0), "Volume Shadow Copy", "VSS", "stopped")
    sys_7036(BKP01, "BKP01", T(20, 41, 40.0), "Block Level Backup Engine Service", "wbengine", "stopped")
    servers = [DC01, DC02, EHR_APP["ehr-app01"], EHR_APP["ehr-app02"], FHIR01, "10.10.2.20", HL7_ENGINE,
               FS01_IP, PRT01_IP, LIS_HOST, REG_HOST, PROXY]
    t = T(20, 1, 5)
    for s in servers:
        t += datetime.timedelta(seconds=RNG.randint(60, 140))
        fw(t, BKP01_IP, s, 445, srcintf="servers", dstintf="servers" if s.startswith("10.10.") else "lab",
           policy=16, duration=RNG.randint(60, 400), sent=RNG.randint(10000, 90000),
           rcvd=RNG.randint(50000000, 900000000))


def legit_vpn():
    """Two ordinary VPN sessions in the evening."""
    # The on-call IT technician checks the print server from home.
    vpn_up(T(17, 5, 12.4), "192.0.2.44", "Germany", "jfranke", "SSLVPN-IT", 1870334771, "10.212.134.200")
    fw(T(17, 9, 40), "10.212.134.200", PRT01_IP, 3389, srcintf="ssl.root", policy=40, duration=251,
       sent=410233, rcvd=2881004)
    vpn_down(T(17, 31, 55.0), "192.0.2.44", "Germany", "jfranke", "SSLVPN-IT", 1870334771, "10.212.134.200",
             1603, 1220409, 8870112)
    # The on-call radiologist mistypes once, then reads tonight's CT from home.
    vpn_fail(T(19, 38, 2.1), "198.51.100.61", "Germany", "mhartmann")
    vpn_up(T(19, 38, 31.7), "198.51.100.61", "Germany", "mhartmann", "SSLVPN-Staff", 1870334790,
           "10.212.134.202")
    fw(T(20, 24, 50), "10.212.134.202", "10.10.3.40", 443, srcintf="ssl.root", policy=41, duration=2700,
       sent=902114, rcvd=188021337)
    vpn_down(T(20, 25, 9.0), "198.51.100.61", "Germany", "mhartmann", "SSLVPN-Staff", 1870334790,
             "10.212.134.202", 2797, 1002213, 190220114)


# --------------------------------------------------------------------------------------------
# 2. Shared credentials on the ICU
# --------------------------------------------------------------------------------------------

def shared_credentials():
    p = STAFF[0]  # sweiss, signed in on WS-ICU-03 at 06:04:12 by shift()
    ws_name, ip = SHARED_WS
    t = T(6, 7, 40.412)
    fw_session_start(p, t, ip)
    ehr_login(t, p, ws_name, ip, "password")
    # The float nurse documents on WS-ICU-06 under sweiss's account all morning.
    chart_activity(p, t, T(14, 20), ws_name, ip, p.patients, 30.0)
    ehr_logout(T(14, 20, 3.5), p, ws_name, "user")


# --------------------------------------------------------------------------------------------
# 3. The ward clerk who browses charts
# --------------------------------------------------------------------------------------------

def snooping():
    p = CLERK
    fw_session_start(p, p.start, p.ip)
    ehr_login(p.start, p, p.ws, p.ip, "password")
    lid = sec_4624(FS01, "FS01", jitter(p.start, 2, 8), p.user, p.rid, p.ip)
    sec_5140(FS01, "FS01", jitter(p.start, 9, 15), p.user, p.rid, lid, p.ip, "Wards", "D:\\Shares\\Wards")
    # Morning: her own ward's paperwork (a handful of 4B patients).
    chart_activity(p, p.start, T(12, 0), p.ws, p.ip, p.patients, 40.0)
    ehr_print(T(8, 31, 7.2), p, len(ward_patients("4B", T(8, 31))), "bed-occupancy")
    # 14:02-14:46: 31 charts of other wards, one after the other.
    t = T(14, 2, 14.5)
    others = [x for x in PATIENTS if x.present(T(14, 50)) and x.ward_at(t)[0] in ("ICU", "3A", "3B", "ED")]
    for pat in RNG.sample(others, 31):
        ehr_chart_open(t, p, p.ws)
        fhir_event(jitter(t, 0.05, 0.4), p, p.ip, pat)
        if RNG.random() < 0.35:
            fhir_event(jitter(t, 2, 8), p, p.ip, pat, "read", "Observation/obs-%d" % RNG.randint(1000000, 9999999))
        t += datetime.timedelta(seconds=RNG.randint(55, 120))
    ehr_logout(p.end, p, p.ws, "user")
    fw(jitter(p.end, 5, 40), p.ip, FS01_IP, 445, policy=14, duration=int((p.end - p.start).total_seconds()))
    sec_4634(FS01, "FS01", jitter(p.end, 20, 60), p.user, p.rid, lid)


# --------------------------------------------------------------------------------------------
# 4. The ransomware night
# --------------------------------------------------------------------------------------------

ATTACKER, C2 = "203.0.113.77", "203.0.113.200"
TUNNEL_IP = "10.212.134.201"
VICTIM_RID = 1189


def ransomware():
    # 22:41-22:47 password spraying: 14 names, one or two tries each.
    names = ["admin", "administrator", "vpn", "test", "guest", "scanner", "it-support", "backup",
             "svc_backup", "helpdesk", "rthompson", "mhartmann", "jfranke", "sweiss"]
    t = T(22, 41, 3.7)
    for name in names:
        tries = 2 if name in ("admin", "administrator", "jfranke") else 1
        for _ in range(tries):
            known = name in ("jfranke", "mhartmann", "sweiss", "svc_backup")
            vpn_fail(t, ATTACKER, "Netherlands", name,
                     "sslvpn_login_permission_denied" if known else "sslvpn_login_unknown_user")
            t += datetime.timedelta(seconds=RNG.randint(14, 24))
    # 22:49 the third try of jfranke's password works.
    up = T(22, 49, 12.3)
    vpn_up(up, ATTACKER, "Netherlands", "jfranke", "SSLVPN-IT", 1870334802, TUNNEL_IP)
    fw(T(22, 50, 40), TUNNEL_IP, DC01, 53, action="accept", proto=17, srcintf="ssl.root", policy=40,
       duration=180, sent=142, rcvd=288)
    # 22:55-22:58 RDP sweep of 16 servers (the IT VPN group may reach 10.10.6.0/24 only).
    rdp_targets = [DC01, DC02, "10.10.1.12", PROXY, EHR_APP["ehr-app01"], EHR_APP["ehr-app02"], FHIR01,
                   "10.10.2.20", "10.10.3.40", "10.10.3.41", HL7_ENGINE, FS01_IP, PRT01_IP, BKP01_IP,
                   "10.10.6.40", LIS_HOST]
    t = T(22, 55, 2)
    for dst in rdp_targets:
        if dst.startswith("10.10.6."):
            fw(t + datetime.timedelta(seconds=3), TUNNEL_IP, dst, 3389, srcintf="ssl.root", policy=40,
               duration=2, sent=1422, rcvd=2380)
        else:
            fw(t, TUNNEL_IP, dst, 3389, action="deny", srcintf="ssl.root")
        t += datetime.timedelta(seconds=RNG.randint(6, 13))
    # 23:00-23:04 SMB sweep of 26 hosts: servers and ward workstations.
    smb_targets = [DC01, DC02, "10.10.1.12", EHR_APP["ehr-app01"], EHR_APP["ehr-app02"], FHIR01, "10.10.2.20",
                   "10.10.3.40", HL7_ENGINE, FS01_IP, PRT01_IP, BKP01_IP, "10.10.6.40", LIS_HOST, REG_HOST]
    smb_targets += ["10.30.14.%d" % n for n in (11, 12, 13, 16)] + ["10.30.21.%d" % n for n in (11, 15)]
    smb_targets += ["10.30.22.%d" % n for n in (12, 13)] + ["10.30.23.%d" % n for n in (11, 16)]
    smb_targets += ["10.30.30.12"]
    t = T(23, 0, 11)
    for dst in smb_targets:
        if dst.startswith("10.10.6."):
            fw(t + datetime.timedelta(seconds=1), TUNNEL_IP, dst, 445, srcintf="ssl.root", policy=40,
               duration=1, sent=980, rcvd=1206)
        else:
            fw(t, TUNNEL_IP, dst, 445, action="deny", srcintf="ssl.root",
               dstintf="servers" if dst.startswith("10.10.") else "wards")
        t += datetime.timedelta(seconds=RNG.randint(5, 11))
    # 23:05 fs01: network logon, ADMIN$ and C$, a PsExec service, jfranke made a local administrator.
    lid = sec_4624(FS01, "FS01", T(23, 5, 31.204), "jfranke", VICTIM_RID, TUNNEL_IP, 3, ntlm=True,
                   workstation="WIN-8QKD3J2LMNV")
    sec_5140(FS01, "FS01", T(23, 5, 31.611), "jfranke", VICTIM_RID, lid, TUNNEL_IP, "ADMIN$", "C:\\Windows")
    sec_5140(FS01, "FS01", T(23, 5, 44.090), "jfranke", VICTIM_RID, lid, TUNNEL_IP, "C$", "C:\\")
    win_event(FS01, "FS01", T(23, 6, 2.733), *SCM, 7045, "System",
              {"ServiceName": "PSEXESVC", "ImagePath": "%SystemRoot%\\PSEXESVC.exe", "ServiceType": "user mode service",
               "StartType": "demand start", "AccountName": "LocalSystem"},
              level=4, keywords="0x8080000000000000", qualifiers=16384, source_name=True,
              security="%s-%d" % (DOMAIN_SID, VICTIM_RID), pid=(700, 4412))
    sec_4688(FS01, "FS01", T(23, 6, 58.120), "", 0, "", "C:\\Windows\\System32\\net.exe",
             "net  localgroup Administrators jfranke /add", "C:\\Windows\\PSEXESVC.exe", system_user=True)
    win_event(FS01, "FS01", T(23, 7, 2.451), *SEC, 4732, "Security",
              {"MemberName": "-", "MemberSid": "%s-%d" % (DOMAIN_SID, VICTIM_RID), "TargetUserName": "Administrators",
               "TargetDomainName": "Builtin", "TargetSid": "S-1-5-32-544", "SubjectUserSid": "S-1-5-18",
               "SubjectUserName": "FS01$", "SubjectDomainName": "HILDEGARD", "SubjectLogonId": "0x3e7",
               "PrivilegeList": "-"},
              task=13826, pid=(LSASS_PID["FS01"], 6120))
    # The session to fs01 over SMB and RDP, logged by the firewall when they end.
    fw(T(23, 40, 2), TUNNEL_IP, FS01_IP, 445, srcintf="ssl.root", policy=40, duration=2071,
       sent=48220133, rcvd=1204412)
    # 23:14 bkp01 over RDP: shadow copies and the backup catalog deleted.
    lid_b = sec_4624(BKP01, "BKP01", T(23, 14, 8.902), "jfranke", VICTIM_RID, TUNNEL_IP, 10,
                     workstation="BKP01")
    sec_4688(BKP01, "BKP01", T(23, 15, 40.310), "jfranke", VICTIM_RID, lid_b, "C:\\Windows\\System32\\cmd.exe",
             "\"C:\\Windows\\system32\\cmd.exe\" ", "C:\\Windows\\explorer.exe")
    sec_4688(BKP01, "BKP01", T(23, 16, 12.118), "jfranke", VICTIM_RID, lid_b,
             "C:\\Windows\\System32\\vssadmin.exe", "vssadmin.exe  delete shadows /all /quiet",
             "C:\\Windows\\System32\\cmd.exe")
    sec_4688(BKP01, "BKP01", T(23, 17, 1.557), "jfranke", VICTIM_RID, lid_b,
             "C:\\Windows\\System32\\wbadmin.exe", "wbadmin  delete catalog -quiet",
             "C:\\Windows\\System32\\cmd.exe")
    sec_4634(BKP01, "BKP01", T(23, 21, 30.004), "jfranke", VICTIM_RID, lid_b, 10)
    fw(T(23, 21, 31), TUNNEL_IP, BKP01_IP, 3389, srcintf="ssl.root", policy=40, duration=443,
       sent=2210331, rcvd=9120877)
    # 23:30-23:32 twelve services stopped on fs01.
    services = [("SQL Server (SQLEXPRESS)", "MSSQL$SQLEXPRESS"),
                ("SQL Server Agent (SQLEXPRESS)", "SQLAgent$SQLEXPRESS"),
                ("SQL Server VSS Writer", "SQLWriter"),
                ("Veeam Agent for Microsoft Windows", "VeeamEndpointBackupSvc"),
                ("Veeam Installer Service", "VeeamDeploySvc"),
                ("Sophos Endpoint Defense Service", "Sophos Endpoint Defense Service"),
                ("Sophos MCS Agent", "Sophos MCS Agent"),
                ("Sophos File Scanner Service", "Sophos File Scanner Service"),
                ("Volume Shadow Copy", "VSS"),
                ("Microsoft Software Shadow Copy Provider", "swprv"),
                ("DFS Replication", "DFSR"),
                ("Windows Search", "WSearch")]
    t = T(23, 30, 4.5)
    for name, key in services:
        sys_7036(FS01, "FS01", t, name, key, "stopped")
        t += datetime.timedelta(milliseconds=RNG.randint(4000, 11000))
    # 23:37 the Security log cleared.
    win_event(FS01, "FS01", T(23, 37, 12.884), "Microsoft-Windows-Eventlog",
              "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}", 1102, "Security",
              {"LogFileCleared": {"#attributes": {
                  "xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
                                  "SubjectUserSid": "%s-%d" % (DOMAIN_SID, VICTIM_RID), "SubjectUserName": "jfranke",
                                  "SubjectDomainName": "HILDEGARD", "SubjectLogonId": lid}},
              level=4, task=104, keywords="0x4020000000000000", data_key="UserData", pid=(1288, 5516))
    # 23:38-23:44 fs01 calls out to 203.0.113.200:4444.
    fw(T(23, 44, 21), FS01_IP, C2, 4444, srcintf="servers", dstintf="wan1", policy=32, app_nat=True,
       duration=338, sent=88213, rcvd=1950221)
    # 23:58 the VPN session ends.
    vpn_down(T(23, 58, 40.1), ATTACKER, "Netherlands", "jfranke", "SSLVPN-IT", 1870334802, TUNNEL_IP,
             4168, 61220318, 14302277)


# --------------------------------------------------------------------------------------------

def main():
    hl7_day()
    assign_patients()
    for p in STAFF:
        shift(p)
    typos()
    shared_credentials()
    snooping()
    network_background()
    fs01_background()
    nightly_backup()
    legit_vpn()
    ransomware()
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"vpn-fortigate.log": VPN, "firewall-core.log": FW, "ehr-app.log": EHR, "fhir-audit.jsonl": FHIR,
             "hl7-feed.log": HL7, "windows-fs01.jsonl": FS01, "windows-bkp01.jsonl": BKP01}
    for name, log in files.items():
        lines = log.lines()
        with open(OUT / name, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        print("%-20s %5d lines" % (name, sum(line.count("\n") + 1 for line in lines)))


if __name__ == "__main__":
    main()
