namespace Mediation.Production.Tests;

/// <summary>The production tests share one PostgreSQL server and run one after another (2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "production";
}
