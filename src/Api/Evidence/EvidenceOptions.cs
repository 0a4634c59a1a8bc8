namespace Mediation.Api.Evidence;

/// <summary>Limits of evidence uploads (<c>Mediation:Evidence</c>).</summary>
public sealed class EvidenceOptions
{
    public const string Section = "Mediation:Evidence";

    /// <summary>Largest photo, PDF or text file.</summary>
    public long MaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest video.</summary>
    public long MaxVideoBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Largest photo in pixels: a small compressed file can decode into gigabytes.</summary>
    public long MaxPhotoPixels { get; set; } = 50_000_000;

    /// <summary>Longest side of a thumbnail, in pixels.</summary>
    public int ThumbnailSize { get; set; } = 320;

    public long LimitFor(EvidenceKind kind) => kind == EvidenceKind.Video ? MaxVideoBytes : MaxBytes;

    /// <summary>The largest file of any kind: the body limit of the upload, before its kind is known.</summary>
    public long LargestFile => Math.Max(MaxBytes, MaxVideoBytes);
}
