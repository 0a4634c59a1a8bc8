using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Mediation.Api.Evidence;

/// <summary>
/// One uploaded file, read from a multipart body into a temporary file (deleted on dispose) while it is hashed and
/// bounded, then inspected: its type from its bytes, its size against that type's limit, photos decoded.
/// </summary>
public sealed class EvidenceUpload : IAsyncDisposable
{
    private EvidenceUpload(FileStream content, string sha256, SniffedType type, PhotoCopies? photo)
    {
        Content = content;
        Sha256 = sha256;
        Type = type;
        Photo = photo;
    }

    /// <summary>The bytes as uploaded, positioned at 0.</summary>
    public FileStream Content { get; }
    public long Size => Content.Length;
    /// <summary>Lowercase hex SHA-256 of the bytes as uploaded.</summary>
    public string Sha256 { get; }
    public SniffedType Type { get; }
    /// <summary>The shared copy and thumbnail, for photos.</summary>
    public PhotoCopies? Photo { get; }

    public ValueTask DisposeAsync() => Content.DisposeAsync();

    /// <summary>Reads the single file part of a multipart/form-data request and inspects it; refusals throw <see cref="UploadRefusedException"/>.</summary>
    public static async Task<EvidenceUpload> ReadAsync(HttpRequest request, EvidenceOptions options, CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(Boundary(request), request.Body) { BodyLengthLimit = options.LargestFile + 1 };
        var spool = NewSpoolFile();
        try
        {
            var (sha256, type) = await ReadSingleFileAsync(reader, spool, options, cancellationToken);
            spool.Position = 0;
            var photo = type.Kind == EvidenceKind.Photo ? EvidencePhotos.Process(spool, type, options) : null;
            spool.Position = 0;
            return new EvidenceUpload(spool, sha256, type, photo);
        }
        catch
        {
            await spool.DisposeAsync();
            throw;
        }
    }

    private static string Boundary(HttpRequest request)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            && HeaderUtilities.RemoveQuotes(type.Boundary).Value is { Length: > 0 and <= 70 } boundary)
            return boundary;
        throw UploadRefusedException.Unsupported("an upload is multipart/form-data with one file part (Content-Type: multipart/form-data; boundary=…)");
    }

    private static async Task<(string Sha256, SniffedType Type)> ReadSingleFileAsync(
        MultipartReader reader, FileStream spool, EvidenceOptions options, CancellationToken cancellationToken)
    {
        (string, SniffedType)? file = null;
        try
        {
            for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null;
                 section = await reader.ReadNextSectionAsync(cancellationToken))
            {
                if (section.GetContentDispositionHeader() is not { } disposition || !disposition.IsFileDisposition()) continue; // a plain form field
                if (file is not null) throw UploadRefusedException.Invalid("an upload carries exactly one file; send each file on its own");
                file = await CopyFileAsync(section.Body, spool, options, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            // The multipart reader's own complaints: a section past its length limit, or a body that is not multipart.
            throw e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase)
                ? TooLarge(null, options)
                : UploadRefusedException.Invalid($"the multipart body could not be read: {e.Message}");
        }
        catch (IOException e) when (e is not BadHttpRequestException && e.InnerException is null && !cancellationToken.IsCancellationRequested)
        {
            throw UploadRefusedException.Invalid($"the multipart body could not be read: {e.Message}");
        }
        return file ?? throw UploadRefusedException.Invalid("the upload has no file part (a form field with a filename)");
    }

    /// <summary>Copies one file part, hashing it and stopping as soon as it passes its type's limit.</summary>
    private static async Task<(string, SniffedType)> CopyFileAsync(Stream body, FileStream spool, EvidenceOptions options, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        var head = new byte[EvidenceSniffer.HeadLength];
        var headLength = 0;
        SniffedType? binary = null;
        var limit = options.LargestFile;
        long size = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (headLength < head.Length)
            {
                var take = Math.Min(read, head.Length - headLength);
                buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                headLength += take;
                if (headLength == head.Length) limit = LimitOf(binary = EvidenceSniffer.Sniff(head), options);
            }
            size += read;
            if (size > limit) throw TooLarge(binary, options);
            hash.AppendData(buffer, 0, read);
            await spool.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        if (size == 0) throw UploadRefusedException.Invalid("the file is empty");
        if (headLength < head.Length) binary = EvidenceSniffer.Sniff(head.AsSpan(0, headLength));
        if (size > LimitOf(binary, options)) throw TooLarge(binary, options);
        var type = binary ?? (await IsPlainTextAsync(spool) ? EvidenceSniffer.Text : throw NotAccepted());
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), type);
    }

    /// <summary>Not a known binary type: it can only be text, whose limit is the general one.</summary>
    private static long LimitOf(SniffedType? type, EvidenceOptions options) => options.LimitFor(type?.Kind ?? EvidenceKind.Text);

    private static async Task<bool> IsPlainTextAsync(FileStream spool)
    {
        // Within MaxBytes (checked before): small enough to validate in one piece.
        var bytes = new byte[spool.Length];
        spool.Position = 0;
        await spool.ReadExactlyAsync(bytes);
        return EvidenceSniffer.IsPlainText(bytes);
    }

    private static UploadRefusedException NotAccepted() => UploadRefusedException.Unsupported(
        $"the file's content is not a type accepted as evidence: {EvidenceSniffer.Accepted}; the type is read from the content, not from the file name or the declared type");

    private static UploadRefusedException TooLarge(SniffedType? type, EvidenceOptions options) => UploadRefusedException.TooLarge(
        (type is null ? "the file is larger than the limit" : $"the {type.Name} is larger than the limit")
        + $": {Megabytes(options.MaxBytes)} for photos, PDFs and text, {Megabytes(options.MaxVideoBytes)} for videos");

    public static string Megabytes(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes / 1024.0 / 1024.0:0.##} MB";

    private static FileStream NewSpoolFile() => new(
        Path.Combine(Path.GetTempPath(), $"mediation-upload-{Guid.NewGuid():N}"),
        FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
}
