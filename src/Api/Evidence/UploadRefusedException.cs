namespace Mediation.Api.Evidence;

/// <summary>An upload refused at the edge for what it is (empty, too large, not an accepted type), before any storage.</summary>
public sealed class UploadRefusedException(int status, string title, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Title { get; } = title;

    public static UploadRefusedException Invalid(string message) => new(StatusCodes.Status400BadRequest, "Invalid upload", message);
    public static UploadRefusedException TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, "Upload too large", message);
    public static UploadRefusedException Unsupported(string message) => new(StatusCodes.Status415UnsupportedMediaType, "Unsupported evidence type", message);
}
