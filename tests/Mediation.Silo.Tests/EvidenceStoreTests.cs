using System.Security.Cryptography;
using Mediation.Silo.Evidence;
using Mediation.Silo.Schema;
using Npgsql;

namespace Mediation.Silo.Tests;

// One contract for both evidence stores: files (embedded default) and PostgreSQL (production, on a throwaway
// server from PostgresServer, tests/Mediation.Testing, with the schema scripts applied).

public abstract class EvidenceStoreBehaviour
{
    protected abstract IEvidenceStore Store { get; }

    protected static string NewDispute() => $"d-{Guid.NewGuid():N}";

    protected static (byte[] Bytes, string Sha256) Blob(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    protected async Task<byte[]?> ReadAsync(string dispute, string sha, EvidenceVariant variant)
    {
        await using var stream = await Store.OpenAsync(dispute, sha, variant);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Each_variant_comes_back_as_stored_and_a_second_save_of_the_same_key_keeps_the_first()
    {
        var dispute = NewDispute();
        var (original, sha) = Blob(3 * 1024 * 1024 + 17, 1); // larger than any single buffer on the way
        var (shared, _) = Blob(5000, 2);
        var (thumbnail, _) = Blob(300, 3);

        Assert.True(await Store.SaveAsync(dispute, sha, EvidenceVariant.Original, new MemoryStream(original)));
        Assert.True(await Store.SaveAsync(dispute, sha, EvidenceVariant.Shared, new MemoryStream(shared)));
        Assert.True(await Store.SaveAsync(dispute, sha, EvidenceVariant.Thumbnail, new MemoryStream(thumbnail)));
        Assert.False(await Store.SaveAsync(dispute, sha, EvidenceVariant.Original, new MemoryStream([1, 2, 3])));

        Assert.Equal(original, await ReadAsync(dispute, sha, EvidenceVariant.Original));
        Assert.Equal(shared, await ReadAsync(dispute, sha, EvidenceVariant.Shared));
        Assert.Equal(thumbnail, await ReadAsync(dispute, sha, EvidenceVariant.Thumbnail));
    }

    [Fact]
    public async Task Nothing_stored_reads_as_null()
    {
        var (_, sha) = Blob(10, 4);
        Assert.Null(await Store.OpenAsync(NewDispute(), sha, EvidenceVariant.Original));
    }

    [Fact]
    public async Task Deleting_a_refused_upload_removes_its_variants_and_never_the_same_file_in_another_dispute()
    {
        var (bytes, sha) = Blob(1000, 5);
        var (otherBytes, otherSha) = Blob(1000, 6);
        var refused = NewDispute();
        var kept = NewDispute();
        await Store.SaveAsync(refused, sha, EvidenceVariant.Original, new MemoryStream(bytes));
        await Store.SaveAsync(refused, sha, EvidenceVariant.Thumbnail, new MemoryStream(bytes));
        await Store.SaveAsync(refused, otherSha, EvidenceVariant.Original, new MemoryStream(otherBytes));
        await Store.SaveAsync(kept, sha, EvidenceVariant.Original, new MemoryStream(bytes));

        await Store.DeleteAsync(refused, sha);

        Assert.Null(await ReadAsync(refused, sha, EvidenceVariant.Original));
        Assert.Null(await ReadAsync(refused, sha, EvidenceVariant.Thumbnail));
        Assert.Equal(otherBytes, await ReadAsync(refused, otherSha, EvidenceVariant.Original));
        Assert.Equal(bytes, await ReadAsync(kept, sha, EvidenceVariant.Original));
        await Store.DeleteAsync(refused, sha); // again: nothing to do, no error
    }

    [Theory]
    [InlineData("..", "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("d/../x", "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("d-1", "ABCDEF0000000000000000000000000000000000000000000000000000000000")]
    [InlineData("d-1", "../../etc/passwd")]
    public async Task A_key_that_is_not_a_dispute_id_and_a_lowercase_sha256_is_refused(string dispute, string sha)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SaveAsync(dispute, sha, EvidenceVariant.Original, new MemoryStream([1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenAsync(dispute, sha, EvidenceVariant.Original));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(dispute, sha));
    }
}

public sealed class FileEvidenceStoreTests : EvidenceStoreBehaviour, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mediation-evidence-");
    private readonly FileEvidenceStore _store;

    public FileEvidenceStoreTests() => _store = new FileEvidenceStore(Path.Combine(_dir.FullName, "evidence"));

    protected override IEvidenceStore Store => _store;

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_write_that_fails_half_way_leaves_no_file_under_its_name_nor_a_temporary_one()
    {
        var dispute = NewDispute();
        var (bytes, sha) = Blob(200_000, 7);

        await Assert.ThrowsAsync<IOException>(() => _store.SaveAsync(dispute, sha, EvidenceVariant.Original, new FailingStream(bytes, failAfter: 100_000)));

        Assert.Null(await ReadAsync(dispute, sha, EvidenceVariant.Original));
        Assert.Empty(Directory.EnumerateFiles(_store.Root, "*", SearchOption.AllDirectories));
        Assert.True(await _store.SaveAsync(dispute, sha, EvidenceVariant.Original, new MemoryStream(bytes))); // a retry succeeds
        Assert.Equal([Path.Combine(_store.Root, dispute, $"{sha}.original")], Directory.EnumerateFiles(_store.Root, "*", SearchOption.AllDirectories));
    }

    /// <summary>Gives the first bytes, then fails like a connection that dropped.</summary>
    private sealed class FailingStream(byte[] bytes, int failAfter) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= failAfter ? throw new IOException("connection dropped") : base.Read(buffer, offset, (int)Math.Min(count, failAfter - Position));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAfter ? throw new IOException("connection dropped") : base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAfter - Position)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

public sealed class PostgresEvidenceStoreTests(PostgresServer server)
    : EvidenceStoreBehaviour, IClassFixture<PostgresServer>, IAsyncLifetime
{
    // Slices far smaller than the blobs, so reads cross many slice boundaries (the service's default is 1 MB).
    protected override IEvidenceStore Store => new PostgresEvidenceStore(server.ConnectionString, sliceBytes: 100_003);

    public Task InitializeAsync() => SchemaInstaller.ApplyPostgreSqlAsync(server.ConnectionString);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Bytes_stored_by_one_node_are_read_by_another()
    {
        var dispute = NewDispute();
        var (bytes, sha) = Blob(70_000, 8);
        Assert.True(await new PostgresEvidenceStore(server.ConnectionString).SaveAsync(dispute, sha, EvidenceVariant.Original, new MemoryStream(bytes)));
        NpgsqlConnection.ClearAllPools(); // nothing cached on a connection carries it over
        Assert.Equal(bytes, await ReadAsync(dispute, sha, EvidenceVariant.Original));
    }
}
