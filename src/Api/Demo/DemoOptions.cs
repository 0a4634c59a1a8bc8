using Mediation.Silo.Hosting;

namespace Mediation.Api.Demo;

/// <summary>
/// <c>Mediation:Seed:Demo</c>: demo people, their cities' mediators and, on a first start on an empty data folder, demo
/// orders and disputes. On by default only in the embedded default (SQLite, co-hosted); never in production mode.
/// </summary>
public sealed record DemoOptions(bool Enabled, bool SeedNow)
{
    public const string Key = "Mediation:Seed:Demo";

    public static DemoOptions From(IConfiguration configuration, MediationSiloOptions hosting)
    {
        var embedded = hosting.Storage == StorageKind.Sqlite && hosting.ApiHosting == ApiHosting.CoHosted;
        var enabled = embedded && configuration.GetValue(Key, true);
        // Only a data folder with nothing in it is seeded: an existing database is never touched.
        var empty = !Directory.Exists(hosting.DataDirectory) || !Directory.EnumerateFileSystemEntries(hosting.DataDirectory).Any();
        return new DemoOptions(enabled, enabled && empty);
    }
}
