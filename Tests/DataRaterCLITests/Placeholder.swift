import Testing

@Test func dataRaterCLITestsBuilds() {
    #expect(Bool(true))
}
