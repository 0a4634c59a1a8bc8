using Npgsql;
using NpgsqlTypes;

namespace Mediation.Silo.Evidence;

/// <summary>
/// Evidence in PostgreSQL (table <c>evidence_blobs</c>, script 0007), so that every silo and API node of the
/// production mode reads what any of them stored. One row per (dispute, sha256, variant). Bytes go in streamed from
/// the upload's file and come out in slices of <paramref name="sliceBytes"/>, each its own short query: a download
/// holds neither a whole video in memory nor a pooled connection for as long as a slow client takes.
/// </summary>
public sealed class PostgresEvidenceStore(string connectionString, int sliceBytes = 1024 * 1024) : IEvidenceStore
{
    private int SliceBytes { get; } = sliceBytes > 0 ? sliceBytes : throw new ArgumentOutOfRangeException(nameof(sliceBytes));

    public async Task<bool> SaveAsync(string disputeId, string sha256, EvidenceVariant variant, Stream content, CancellationToken cancellationToken = default)
    {
        EvidenceKeys.Check(disputeId, sha256);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            """
            INSERT INTO evidence_blobs (dispute_id, sha256, variant, content)
            VALUES (@dispute, @sha, @variant, @content)
            ON CONFLICT (dispute_id, sha256, variant) DO NOTHING
            """, disputeId, sha256, variant);
        command.Parameters.Add(new NpgsqlParameter("content", NpgsqlDbType.Bytea) { Value = content });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<Stream?> OpenAsync(string disputeId, string sha256, EvidenceVariant variant, CancellationToken cancellationToken = default)
    {
        EvidenceKeys.Check(disputeId, sha256);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "SELECT octet_length(content) FROM evidence_blobs WHERE dispute_id = @dispute AND sha256 = @sha AND variant = @variant",
            disputeId, sha256, variant);
        return await command.ExecuteScalarAsync(cancellationToken) is int length
            ? new SlicedBlob(this, disputeId, sha256, variant, length)
            : null;
    }

    public async Task DeleteAsync(string disputeId, string sha256, CancellationToken cancellationToken = default)
    {
        EvidenceKeys.Check(disputeId, sha256);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("DELETE FROM evidence_blobs WHERE dispute_id = @dispute AND sha256 = @sha", connection);
        command.Parameters.AddWithValue("dispute", disputeId);
        command.Parameters.AddWithValue("sha", sha256);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Bytes [offset, offset + count) of a stored blob; substring reads only those TOAST chunks (storage is EXTERNAL).</summary>
    private async Task<byte[]> SliceAsync(string disputeId, string sha256, EvidenceVariant variant, long offset, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "SELECT substring(content FROM @from FOR @count) FROM evidence_blobs WHERE dispute_id = @dispute AND sha256 = @sha AND variant = @variant",
            disputeId, sha256, variant);
        command.Parameters.AddWithValue("from", checked((int)offset + 1)); // SQL positions start at 1
        command.Parameters.AddWithValue("count", count);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[]
            ?? throw new IOException($"evidence {sha256} of dispute {disputeId} was removed while it was being read");
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, string disputeId, string sha256, EvidenceVariant variant)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("dispute", disputeId);
        command.Parameters.AddWithValue("sha", sha256);
        command.Parameters.AddWithValue("variant", (short)variant);
        return command;
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>A read-only stream over a stored blob that fetches one slice at a time.</summary>
    private sealed class SlicedBlob(PostgresEvidenceStore store, string disputeId, string sha256, EvidenceVariant variant, long length) : Stream
    {
        private byte[] _slice = [];
        private int _inSlice;
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_inSlice == _slice.Length)
            {
                if (_position >= length || buffer.Length == 0) return 0;
                _slice = await store.SliceAsync(disputeId, sha256, variant, _position, (int)Math.Min(store.SliceBytes, length - _position), cancellationToken);
                _inSlice = 0;
                if (_slice.Length == 0) throw new IOException($"evidence {sha256} of dispute {disputeId} is shorter than it was");
            }
            var n = Math.Min(buffer.Length, _slice.Length - _inSlice);
            _slice.AsMemory(_inSlice, n).CopyTo(buffer);
            _inSlice += n;
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
