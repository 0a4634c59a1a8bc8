using Npgsql;
using NpgsqlTypes;

namespace Mediation.Silo.Evidence;

/// <summary>
/// Evidence in PostgreSQL (table <c>evidence_blobs</c>, script 0007), so that every silo and API node of the
/// production mode reads what any of them stored. One row per (dispute, sha256, variant); bytea holds the bounded
/// uploads (at most the configured video limit, 50 MB by default).
/// </summary>
public sealed class PostgresEvidenceStore(string connectionString) : IEvidenceStore
{
    public async Task<bool> SaveAsync(string disputeId, string sha256, EvidenceVariant variant, Stream content, CancellationToken cancellationToken = default)
    {
        EvidenceKeys.Check(disputeId, sha256);
        var bytes = await ReadAllAsync(content, cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO evidence_blobs (dispute_id, sha256, variant, content)
            VALUES (@dispute, @sha, @variant, @content)
            ON CONFLICT (dispute_id, sha256, variant) DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("dispute", disputeId);
        command.Parameters.AddWithValue("sha", sha256);
        command.Parameters.AddWithValue("variant", (short)variant);
        command.Parameters.Add(new NpgsqlParameter("content", NpgsqlDbType.Bytea) { Value = bytes });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<Stream?> OpenAsync(string disputeId, string sha256, EvidenceVariant variant, CancellationToken cancellationToken = default)
    {
        EvidenceKeys.Check(disputeId, sha256);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT content FROM evidence_blobs WHERE dispute_id = @dispute AND sha256 = @sha AND variant = @variant", connection);
        command.Parameters.AddWithValue("dispute", disputeId);
        command.Parameters.AddWithValue("sha", sha256);
        command.Parameters.AddWithValue("variant", (short)variant);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] bytes ? new MemoryStream(bytes, writable: false) : null;
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

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task<byte[]> ReadAllAsync(Stream content, CancellationToken cancellationToken)
    {
        using var buffer = content.CanSeek ? new MemoryStream(checked((int)(content.Length - content.Position))) : new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
