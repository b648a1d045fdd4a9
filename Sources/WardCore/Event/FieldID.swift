import Synchronization

/// A field name, interned as a small integer so that events store no strings.
///
/// The well-known names are the Elastic Common Schema names of `DESIGN.md`; they are fixed at
/// compile time, so a `FieldID` means the same field in every stage and every run. Fields whose
/// names are data (RFC 5424 structured-data parameters, vendor keys) use a *namespace* ID such as
/// ``structuredData`` and carry the rest of their name as bytes in the event (``FieldSlot/name``):
/// the full name is `namespace.rest`, e.g. `log.syslog.structured_data.meta.sequenceId`.
public struct FieldID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Looks up a well-known field by its ECS name.
    public init?(named name: String) {
        guard let index = FieldID.indexByName[name] else { return nil }
        self.rawValue = index
    }

    /// The ECS name (for a namespace ID, the prefix of its fields' names).
    public var name: String {
        Int(rawValue) < FieldID.names.count ? FieldID.names[Int(rawValue)] : "field\(rawValue)"
    }

    public var description: String { name }

    @inlinable public static func < (lhs: FieldID, rhs: FieldID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// All well-known names, indexed by raw value. Append only: raw values are stable.
    public static let names: [String] = [
        // Event and provenance.
        "@timestamp", "message", "event.original", "event.dataset", "event.action", "event.outcome",
        "event.code", "log.file.path", "log.offset", "log.flags", "error.message",
        // Syslog.
        "host.hostname", "process.name", "process.pid", "log.syslog.priority",
        "log.syslog.facility.code", "log.syslog.facility.name", "log.syslog.severity.code",
        "log.syslog.severity.name", "log.syslog.version", "log.syslog.msgid", "log.syslog.procid",
        "log.syslog.structured_data",
        // Network and firewall.
        "source.ip", "source.port", "destination.ip", "destination.port", "network.transport",
        "network.direction", "observer.vendor", "observer.product", "rule.name", "rule.id",
        "user.name", "source.bytes", "destination.bytes", "source.nat.ip",
        // Hospital audit trails.
        "hl7.version", "hl7.message_type", "hl7.trigger_event", "hl7.sending_application",
        "hl7.sending_facility", "hl7.receiving_application", "hl7.receiving_facility",
        "hl7.control_id", "hl7.evn.operator_id", "patient.id",
        // Namespace of JSON-lines fields: the rest of the name is the whole (flattened) key.
        "",
        // Firewalls.
        "destination.nat.ip", "observer.ingress.interface.name", "observer.egress.interface.name",
        "network.protocol", "source.nat.port", "destination.nat.port",
        // Vendor namespaces: every key a vendor logs is reachable as <vendor>.<key>.
        "netfilter", "fortinet", "cisco", "panw", "pfsense", "cef", "leef", "kv",
        "source.user.name", "destination.user.name", "event.reason",
        // HL7 v2 (65–71): "hl7.message" is internal (the message's bytes, for on-demand paths; never written).
        "hl7.message_structure", "hl7.processing_id", "hl7.pv1.patient_class", "hl7.pv1.assigned_location",
        "hl7.message", "hl7.batch.message_count", "hl7.timestamp_precision",
        // ATNA and FHIR audit (72–73): namespaces for the rest of their content.
        "atna", "fhir",
        // Linux authentication (74–90), as Elastic's `system.auth` pipeline names them.
        "user.id", "user.effective.name", "user.effective.id", "user.target.name", "group.name", "group.id",
        "source.domain", "system.auth.ssh.event", "system.auth.ssh.method", "system.auth.ssh.signature",
        "system.auth.sudo.tty", "system.auth.sudo.pwd", "system.auth.sudo.user", "system.auth.sudo.command",
        "system.auth.sudo.error", "system.auth.useradd.home", "system.auth.useradd.shell",
        // Vendor namespaces of the firewalls added later (91–94).
        "juniper", "checkpoint", "sophos", "sonicwall",
        // What application logs say of themselves (95–97): site formats name them.
        "log.level", "log.logger", "process.thread.id",
    ]

    /// The well-known field with exactly these name bytes, if any (no `String` made: JSON keys that
    /// are ECS names, such as `host.hostname`, become those fields).
    public static func wellKnown(_ bytes: UnsafeBufferPointer<UInt8>) -> FieldID? {
        guard bytes.count > 0, bytes.count < byLength.count else { return nil }
        for id in byLength[bytes.count] where nameBytesTable[Int(id)].elementsEqual(bytes) {
            return FieldID(rawValue: id)
        }
        return nil
    }

    static let byLength: [[UInt16]] = {
        var table = [[UInt16]](repeating: [], count: 64)
        // Namespaces are prefixes, not fields: never a JSON key's match.
        for (i, name) in names.enumerated() where !name.isEmpty && name.utf8.count < 64 && !namespaces.contains(UInt16(i)) {
            table[name.utf8.count].append(UInt16(i))
        }
        return table
    }()

    /// The name's UTF-8 bytes, indexed by raw value (for comparing with bytes in the hot path).
    public static let nameBytesTable: [[UInt8]] = names.map { Array($0.utf8) }

    /// The name of `id` as bytes (empty for an unknown raw value).
    @inlinable
    public static func nameBytes(of id: FieldID) -> [UInt8] {
        Int(id.rawValue) < nameBytesTable.count ? nameBytesTable[Int(id.rawValue)] : []
    }

    /// The name of `id` as a buffer that lives as long as the process (empty for an unknown raw
    /// value): reading it touches no reference count, where ``nameBytes(of:)`` returns an array
    /// whose storage every thread's copy retains (the same cache line for all workers).
    @inline(__always)
    public static func nameBuffer(of id: FieldID) -> UnsafeBufferPointer<UInt8> {
        Int(id.rawValue) < names.count ? nameBuffers[Int(id.rawValue)] : UnsafeBufferPointer(start: nil, count: 0)
    }

    nonisolated(unsafe) static let nameBuffers = permanentBuffers(names.map { Array($0.utf8) })

    /// Byte strings copied into memory that lives as long as the process, as a table of buffers:
    /// reading one touches no reference count (an array's storage, shared by all workers, is a cache
    /// line the cores fight over).
    public static func permanentBuffers(_ items: [[UInt8]]) -> UnsafeMutablePointer<UnsafeBufferPointer<UInt8>> {
        let table = UnsafeMutablePointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: max(1, items.count))
        for (i, item) in items.enumerated() {
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, item.count))
            bytes.initialize(from: item, count: item.count)
            table[i] = UnsafeBufferPointer(start: bytes, count: item.count)
        }
        return table
    }

    static let indexByName: [String: UInt16] = {
        var map: [String: UInt16] = [:]
        for (i, name) in names.enumerated() { map[name] = UInt16(i) }
        return map
    }()
}

extension FieldID {
    public static let timestamp = FieldID(rawValue: 0)
    public static let message = FieldID(rawValue: 1)
    public static let eventOriginal = FieldID(rawValue: 2)
    public static let eventDataset = FieldID(rawValue: 3)
    public static let eventAction = FieldID(rawValue: 4)
    public static let eventOutcome = FieldID(rawValue: 5)
    public static let eventCode = FieldID(rawValue: 6)
    public static let logFilePath = FieldID(rawValue: 7)
    public static let logOffset = FieldID(rawValue: 8)
    public static let logFlags = FieldID(rawValue: 9)
    public static let errorMessage = FieldID(rawValue: 10)

    public static let hostHostname = FieldID(rawValue: 11)
    public static let processName = FieldID(rawValue: 12)
    public static let processPID = FieldID(rawValue: 13)
    public static let syslogPriority = FieldID(rawValue: 14)
    public static let syslogFacilityCode = FieldID(rawValue: 15)
    public static let syslogFacilityName = FieldID(rawValue: 16)
    public static let syslogSeverityCode = FieldID(rawValue: 17)
    public static let syslogSeverityName = FieldID(rawValue: 18)
    public static let syslogVersion = FieldID(rawValue: 19)
    public static let syslogMsgID = FieldID(rawValue: 20)
    public static let syslogProcID = FieldID(rawValue: 21)
    /// Namespace of RFC 5424 structured data: `log.syslog.structured_data.<SD-ID>.<PARAM-NAME>`.
    public static let structuredData = FieldID(rawValue: 22)

    public static let sourceIP = FieldID(rawValue: 23)
    public static let sourcePort = FieldID(rawValue: 24)
    public static let destinationIP = FieldID(rawValue: 25)
    public static let destinationPort = FieldID(rawValue: 26)
    public static let networkTransport = FieldID(rawValue: 27)
    public static let networkDirection = FieldID(rawValue: 28)
    public static let observerVendor = FieldID(rawValue: 29)
    public static let observerProduct = FieldID(rawValue: 30)
    public static let ruleName = FieldID(rawValue: 31)
    public static let ruleID = FieldID(rawValue: 32)
    public static let userName = FieldID(rawValue: 33)
    public static let sourceBytes = FieldID(rawValue: 34)
    public static let destinationBytes = FieldID(rawValue: 35)
    public static let sourceNATIP = FieldID(rawValue: 36)

    public static let hl7Version = FieldID(rawValue: 37)
    public static let hl7MessageType = FieldID(rawValue: 38)
    public static let hl7TriggerEvent = FieldID(rawValue: 39)
    public static let hl7SendingApplication = FieldID(rawValue: 40)
    public static let hl7SendingFacility = FieldID(rawValue: 41)
    public static let hl7ReceivingApplication = FieldID(rawValue: 42)
    public static let hl7ReceivingFacility = FieldID(rawValue: 43)
    public static let hl7ControlID = FieldID(rawValue: 44)
    public static let hl7EVNOperatorID = FieldID(rawValue: 45)
    public static let patientID = FieldID(rawValue: 46)
    /// Namespace of fields read from JSON lines: the slot's name is the full dotted key
    /// (`Event.System.Computer`, or a Windows event's Sigma name such as `CommandLine`).
    public static let jsonField = FieldID(rawValue: 47)

    public static let destinationNATIP = FieldID(rawValue: 48)
    public static let observerIngressInterface = FieldID(rawValue: 49)
    public static let observerEgressInterface = FieldID(rawValue: 50)
    public static let networkProtocol = FieldID(rawValue: 51)
    public static let sourceNATPort = FieldID(rawValue: 52)
    public static let destinationNATPort = FieldID(rawValue: 53)

    public static let netfilterNamespace = FieldID(rawValue: 54)
    public static let fortinetNamespace = FieldID(rawValue: 55)
    public static let ciscoNamespace = FieldID(rawValue: 56)
    public static let panwNamespace = FieldID(rawValue: 57)
    public static let pfsenseNamespace = FieldID(rawValue: 58)
    public static let cefNamespace = FieldID(rawValue: 59)
    public static let leefNamespace = FieldID(rawValue: 60)
    public static let keyValueNamespace = FieldID(rawValue: 61)
    public static let sourceUserName = FieldID(rawValue: 62)
    public static let destinationUserName = FieldID(rawValue: 63)
    public static let eventReason = FieldID(rawValue: 64)
    public static let hl7MessageStructure = FieldID(rawValue: 65)
    public static let hl7ProcessingID = FieldID(rawValue: 66)
    public static let hl7PV1PatientClass = FieldID(rawValue: 67)
    public static let hl7PV1AssignedLocation = FieldID(rawValue: 68)
    /// The HL7 message's bytes inside the event (internal: serves `hl7.<SEG>.<n>` paths, never written out).
    public static let hl7Message = FieldID(rawValue: 69)
    public static let hl7BatchMessageCount = FieldID(rawValue: 70)
    /// How many digits MSH-7 gave: `year`, `month`, `day`, `hour`, `minute`, `second`, or `fraction`.
    public static let hl7TimestampPrecision = FieldID(rawValue: 71)
    public static let atnaNamespace = FieldID(rawValue: 72)
    public static let fhirNamespace = FieldID(rawValue: 73)

    // Linux authentication (`LinuxAuth`): Elastic's `system.auth` names.
    public static let userID = FieldID(rawValue: 74)
    public static let userEffectiveName = FieldID(rawValue: 75)
    public static let userEffectiveID = FieldID(rawValue: 76)
    public static let userTargetName = FieldID(rawValue: 77)
    public static let groupName = FieldID(rawValue: 78)
    public static let groupID = FieldID(rawValue: 79)
    public static let sourceDomain = FieldID(rawValue: 80)
    public static let sshEvent = FieldID(rawValue: 81)
    public static let sshMethod = FieldID(rawValue: 82)
    public static let sshSignature = FieldID(rawValue: 83)
    public static let sudoTTY = FieldID(rawValue: 84)
    public static let sudoPWD = FieldID(rawValue: 85)
    public static let sudoUser = FieldID(rawValue: 86)
    public static let sudoCommand = FieldID(rawValue: 87)
    public static let sudoError = FieldID(rawValue: 88)
    public static let useraddHome = FieldID(rawValue: 89)
    public static let useraddShell = FieldID(rawValue: 90)

    public static let juniperNamespace = FieldID(rawValue: 91)
    public static let checkPointNamespace = FieldID(rawValue: 92)
    public static let sophosNamespace = FieldID(rawValue: 93)
    public static let sonicWallNamespace = FieldID(rawValue: 94)
    public static let logLevel = FieldID(rawValue: 95)
    public static let logLogger = FieldID(rawValue: 96)
    public static let processThreadID = FieldID(rawValue: 97)

    /// The namespace IDs (prefixes of data-named fields, never fields themselves).
    public static let namespaces: Set<UInt16> = [22, 47, 54, 55, 56, 57, 58, 59, 60, 61, 72, 73, 91, 92, 93, 94]
}

/// The dataset an event was parsed as (`event.dataset`), interned like ``FieldID``.
///
/// The built-in datasets have fixed raw values; site formats (user-defined, loaded from YAML at start)
/// are registered after them (``register(_:)``), once per name, for the life of the process.
public struct Dataset: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    public var name: String { Dataset.nameBytes(of: self).withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }
    public var description: String { name }

    /// The datasets of wardwatch's own parsers. Append only: raw values are stable.
    public static let builtInNames: [String] = [
        "unparsed", "syslog.rfc3164", "syslog.rfc5424", "json", "windows.eventlog",
        "firewall.netfilter", "firewall.fortigate", "firewall.cisco_asa", "firewall.cisco_ftd", "firewall.panos",
        "firewall.filterlog", "firewall.cef", "firewall.leef", "firewall.kv",
        "hl7.v2", "hl7.batch", "hl7.atna", "fhir.auditevent",
        "firewall.juniper_srx", "firewall.checkpoint", "firewall.sophos", "firewall.sonicwall",
    ]

    /// Raw values stay below 64: rules name the datasets of their log sources by bits of a `UInt64`.
    public static let capacity = 64
    /// How many site formats can be registered besides the built-in datasets.
    public static var userCapacity: Int { capacity - builtInNames.count }

    /// Every dataset known now, indexed by raw value: the built-ins, then the registered site formats.
    public static var names: [String] { builtInNames + registry.withLock { $0 } }

    /// The dataset named `name`, built-in or registered, if any.
    public static func named(_ name: String) -> Dataset? {
        names.firstIndex(of: name).map { Dataset(rawValue: UInt16($0)) }
    }

    /// Registers a site format's dataset (or finds it, when the name is taken already). `nil` when all
    /// ``userCapacity`` places are taken.
    public static func register(_ name: String) -> Dataset? {
        if let builtIn = builtInNames.firstIndex(of: name) { return Dataset(rawValue: UInt16(builtIn)) }
        return registry.withLock { userNames in
            if let known = userNames.firstIndex(of: name) { return Dataset(rawValue: UInt16(builtInNames.count + known)) }
            let raw = builtInNames.count + userNames.count
            guard raw < capacity else { return nil }
            // The slot is written before any event can carry this dataset, and never again.
            let bytes = Array(name.utf8)
            let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
            storage.initialize(from: bytes, count: bytes.count)
            nameTable[raw] = UnsafeBufferPointer(start: storage, count: bytes.count)
            userNames.append(name)
            return Dataset(rawValue: UInt16(raw))
        }
    }

    /// The registered site formats' names, in raw-value order after the built-ins.
    private static let registry = Mutex<[String]>([])

    /// Names as bytes, indexed by raw value (``capacity`` slots; unregistered ones empty).
    nonisolated(unsafe) static let nameTable: UnsafeMutablePointer<UnsafeBufferPointer<UInt8>> = {
        let table = UnsafeMutablePointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: capacity)
        table.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0), count: capacity)
        let builtIn = FieldID.permanentBuffers(builtInNames.map { Array($0.utf8) })
        for i in builtInNames.indices { table[i] = builtIn[i] }
        return table
    }()

    private static let unknownName: [UInt8] = Array("unknown".utf8)

    /// The name of `dataset` as bytes (`unknown` for a raw value nothing registered).
    public static func nameBytes(of dataset: Dataset) -> [UInt8] {
        let buffer = nameBuffer(of: dataset)
        return buffer.count > 0 ? Array(buffer) : unknownName
    }

    /// The name of `dataset` as a buffer that lives as long as the process (empty when unknown).
    @inline(__always)
    public static func nameBuffer(of dataset: Dataset) -> UnsafeBufferPointer<UInt8> {
        Int(dataset.rawValue) < capacity ? nameTable[Int(dataset.rawValue)] : UnsafeBufferPointer(start: nil, count: 0)
    }

    /// Whether the dataset is a registered site format.
    @inlinable public var isUserFormat: Bool { Int(rawValue) >= Dataset.builtInNames.count }

    public static let unparsed = Dataset(rawValue: 0)
    public static let syslogRFC3164 = Dataset(rawValue: 1)
    public static let syslogRFC5424 = Dataset(rawValue: 2)
    /// One JSON object per line, keys flattened to dotted names.
    public static let json = Dataset(rawValue: 3)
    /// A Windows event exported as JSON (`{"Event": {"System": …, "EventData": …}}`).
    public static let windowsEventLog = Dataset(rawValue: 4)
    public static let netfilter = Dataset(rawValue: 5)
    public static let fortigate = Dataset(rawValue: 6)
    public static let ciscoASA = Dataset(rawValue: 7)
    public static let ciscoFTD = Dataset(rawValue: 8)
    public static let panos = Dataset(rawValue: 9)
    public static let filterlog = Dataset(rawValue: 10)
    public static let cef = Dataset(rawValue: 11)
    public static let leef = Dataset(rawValue: 12)
    public static let keyValue = Dataset(rawValue: 13)
    /// One HL7 v2 message (ER7), framed any way (see `HL7Framer`).
    public static let hl7v2 = Dataset(rawValue: 14)
    /// The envelope segments of an HL7 batch file (FHS/BHS, BTS/FTS).
    public static let hl7Batch = Dataset(rawValue: 15)
    /// An IHE ATNA / DICOM audit message (RFC 3881 / DICOM PS3.15 A.5 XML).
    public static let atna = Dataset(rawValue: 16)
    /// A FHIR AuditEvent resource (JSON).
    public static let fhirAuditEvent = Dataset(rawValue: 17)
    public static let juniperSRX = Dataset(rawValue: 18)
    public static let checkPoint = Dataset(rawValue: 19)
    public static let sophos = Dataset(rawValue: 20)
    public static let sonicWall = Dataset(rawValue: 21)

    /// Datasets whose `event.original` may hold patient data and is written redacted.
    @inlinable public var holdsPatientData: Bool { rawValue >= 14 && rawValue <= 17 }
}
