import Testing

@Test func tensorTestsBuilds() {
    #expect(Bool(true))
}
