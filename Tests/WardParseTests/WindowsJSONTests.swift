import Testing
import WardCore
import WardParse
import WardTestSupport

@Suite struct WindowsJSONTests {
    /// An EVTX-as-JSON element with attributes and text (`"EventID":{"#attributes":{"Qualifiers":16384},
    /// "#text":7036}`, as classic providers such as the Service Control Manager write it) is named by
    /// its element, so that `EventID: 7036` matches; the attribute is `EventID_Qualifiers`.
    @Test func anElementWithAttributesAndTextIsNamedByTheElement() {
        let line = ##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Service Control Manager"}},"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036},"Channel":"System","Computer":"fs01.hosp.example","TimeCreated":{"#attributes":{"SystemTime":"2026-11-24T02:07:01.000000Z"}}},"EventData":{"param1":"Volume Shadow Copy","param2":"stopped"}}}"##
        let outcome = parse(Array(line.utf8), .detected)
        #expect(outcome.event.dataset == "windows.eventlog")
        #expect(outcome.event.fields["EventID"] == "7036")
        #expect(outcome.event.fields["EventID_Qualifiers"] == "16384")
        #expect(outcome.event.fields["Provider_Name"] == "Service Control Manager")
        #expect(outcome.event.fields["param2"] == "stopped")
        #expect(outcome.event.fields.keys.allSatisfy { !$0.contains("#text") })
    }
}
