/// Row gather `out[r] = table[ids[r]]` from a `[rows, dim]` table; a negative id marks a padding
/// row, which is zero (or left as is when accumulating) and receives no gradient.
///
/// The op is linear in the table, so its tangent is the same gather from the tangent table.
public enum Embedding {
    @inlinable
    public static func forward<T: BLASScalar>(
        table: UnsafePointer<T>, dim: Int, ids: UnsafePointer<Int32>, rows: Int,
        into out: UnsafeMutablePointer<T>, accumulate: Bool = false
    ) {
        for r in 0..<rows {
            let id = Int(ids[r])
            let o = out + r * dim
            if id < 0 {
                if !accumulate { Vec.zero(o, dim) }
            } else if accumulate {
                Vec.add(table + id * dim, into: o, dim)
            } else {
                o.update(from: table + id * dim, count: dim)
            }
        }
    }

    /// `tableGrad[ids[r]] += outGrad[r]` for every non-padding row.
    @inlinable
    public static func backward<T: BLASScalar>(
        outputGrad dout: UnsafePointer<T>, dim: Int, ids: UnsafePointer<Int32>, rows: Int,
        tableGrad: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let id = Int(ids[r])
            if id >= 0 { Vec.add(dout + r * dim, into: tableGrad + id * dim, dim) }
        }
    }
}
