import Testing

@Test func ingestTestsBuilds() {
    #expect(Bool(true))
}
