namespace Mediation.Silo.Evidence;

/// <summary>
/// Evidence as files: <c>{root}/{disputeId}/{sha256}.{variant}</c>, root being <c>{DataDirectory}/evidence</c> in
/// the embedded default. Each file is written under a temporary name, flushed to disk and then renamed, so a crash
/// never leaves a half-written file under its final name.
/// </summary>
public sealed class FileEvidenceStore(string root) : IEvidenceStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task<bool> SaveAsync(string disputeId, string sha256, EvidenceVariant variant, Stream content, CancellationToken cancellationToken = default)
    {
        var final = PathOf(disputeId, sha256, variant);
        if (File.Exists(final)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temp = $"{final}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, cancellationToken);
                file.Flush(flushToDisk: true); // fsync before the rename makes it visible
            }
            try
            {
                File.Move(temp, final, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(final))
            {
                return false; // the same bytes were stored meanwhile by a concurrent upload
            }
        }
        finally
        {
            File.Delete(temp); // no-op once renamed
        }
    }

    public Task<Stream?> OpenAsync(string disputeId, string sha256, EvidenceVariant variant, CancellationToken cancellationToken = default)
    {
        var path = PathOf(disputeId, sha256, variant);
        try
        {
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string disputeId, string sha256, CancellationToken cancellationToken = default)
    {
        foreach (var variant in Enum.GetValues<EvidenceVariant>()) File.Delete(PathOf(disputeId, sha256, variant));
        return Task.CompletedTask;
    }

    private string PathOf(string disputeId, string sha256, EvidenceVariant variant)
    {
        EvidenceKeys.Check(disputeId, sha256);
        return Path.Combine(Root, disputeId, $"{sha256}.{variant.ToString().ToLowerInvariant()}");
    }
}
