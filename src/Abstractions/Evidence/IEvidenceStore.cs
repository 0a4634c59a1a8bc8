namespace Mediation;

/// <summary>The stored forms of one piece of evidence.</summary>
public enum EvidenceVariant
{
    /// <summary>The bytes exactly as uploaded (their SHA-256 is the evidence's hash); only the uploader downloads it.</summary>
    Original,
    /// <summary>What everyone else downloads: for photos a re-encoded copy without location data.</summary>
    Shared,
    /// <summary>A small JPEG preview of a photo.</summary>
    Thumbnail,
}

/// <summary>
/// Durable storage of evidence bytes, content-addressed by SHA-256 within one dispute: the key is
/// (dispute, sha256, variant), so removing a refused upload can never touch another dispute's evidence.
/// Implementations: files under the data directory (embedded default) and a PostgreSQL table (production, shared by
/// every silo and API node).
/// </summary>
public interface IEvidenceStore
{
    /// <summary>
    /// Stores <paramref name="content"/> durably. Returns false when the same key was already stored (the same bytes,
    /// since the key is their hash), in which case nothing was written and the existing copy stays.
    /// </summary>
    Task<bool> SaveAsync(string disputeId, string sha256, EvidenceVariant variant, Stream content, CancellationToken cancellationToken = default);

    /// <summary>The stored bytes, or null when there are none.</summary>
    Task<Stream?> OpenAsync(string disputeId, string sha256, EvidenceVariant variant, CancellationToken cancellationToken = default);

    /// <summary>Removes every variant stored for (dispute, sha256): the undo of a refused upload.</summary>
    Task DeleteAsync(string disputeId, string sha256, CancellationToken cancellationToken = default);
}

/// <summary>The shape of a store key, checked by every store before it touches storage.</summary>
public static class EvidenceKeys
{
    /// <summary>Lowercase hex SHA-256, as <see cref="EvidenceInfo.Sha256"/> has it.</summary>
    public static bool IsSha256(string? sha256) =>
        sha256 is { Length: 64 } && sha256.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    public static void Check(string disputeId, string sha256)
    {
        // A leading dot would let "." or ".." name a folder other than the dispute's own.
        if (!Validation.IsId(disputeId) || disputeId.StartsWith('.'))
            throw new ArgumentException($"not a dispute id: {disputeId}", nameof(disputeId));
        if (!IsSha256(sha256)) throw new ArgumentException($"not a lowercase hex SHA-256: {sha256}", nameof(sha256));
    }
}
