import Testing

@Test func shardIOTestsBuilds() {
    #expect(Bool(true))
}
