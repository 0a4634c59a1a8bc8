namespace Mediation;

/// <summary>
/// One piece of evidence as the timeline records it. The bytes are stored apart (content-addressed by
/// <see cref="Sha256"/>); the dispute keeps only this record.
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.EvidenceInfo")]
public sealed record EvidenceInfo(
    [property: Id(0)] string EvidenceId,
    [property: Id(1)] EvidenceKind Kind,
    /// <summary>The media type decided from the content (<c>image/jpeg</c>, <c>application/pdf</c>, …).</summary>
    [property: Id(2)] string ContentType,
    [property: Id(3)] long Size,
    /// <summary>Lowercase hex SHA-256 of the bytes as uploaded.</summary>
    [property: Id(4)] string Sha256,
    [property: Id(5)] string UploaderId,
    /// <summary><c>consumer</c>, <c>merchant</c> or <c>mediator</c>.</summary>
    [property: Id(6)] string UploaderRole,
    [property: Id(7)] bool HasThumbnail);
