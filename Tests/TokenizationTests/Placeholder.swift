import Testing

@Test func tokenizationTestsBuilds() {
    #expect(Bool(true))
}
