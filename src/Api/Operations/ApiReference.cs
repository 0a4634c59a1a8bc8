using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Mediation.Api.Operations;

/// <summary>
/// The OpenAPI document (/openapi/v1.json) and its browsable reference page (Scalar, at <see cref="PagePath"/>): the
/// bearer scheme every call carries and the ProblemDetails every refusal answers with.
/// </summary>
public static class ApiReference
{
    public const string PagePath = "/scalar";
    public const string BearerScheme = "Bearer";
    public const string ProblemSchema = "ProblemDetails";

    /// <summary>The refusals of the API, each answered as application/problem+json in our words (MediationProblems).</summary>
    public static readonly IReadOnlyDictionary<int, string> Problems = new Dictionary<int, string>
    {
        [400] = "Malformed or invalid input; nothing changed.",
        [401] = "No valid bearer token.",
        [403] = "The caller may not do this.",
        [404] = "No such resource, or not one the caller may see.",
        [409] = "Not allowed in the resource's current state.",
        [429] = "Too many requests; retry after the Retry-After header's seconds.",
        [503] = "Busy or briefly unavailable; retry after the Retry-After header's seconds.",
    };

    public static IServiceCollection AddApiReference(this IServiceCollection services) =>
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            DeclareBearer(document);
            DeclareProblems(document);
            return Task.CompletedTask;
        }));

    public static WebApplication MapApiReference(this WebApplication app)
    {
        // The description is public: integrators read it before they hold a token.
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(PagePath, o => o.WithTitle("Mediation API").AddPreferredSecuritySchemes(BearerScheme)).AllowAnonymous();
        return app;
    }

    private static void DeclareBearer(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            In = ParameterLocation.Header,
            Name = "Authorization",
            Description = "A JWT issued by the payment platform or the merchant portal: `Authorization: Bearer <token>`. "
                + "The hub takes it as the `access_token` query parameter.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
    }

    private static void DeclareProblems(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details: the status, a short title and what went wrong in the API's words.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            },
        };
        foreach (var (path, item) in document.Paths)
        {
            if (!path.StartsWith("/api/", StringComparison.Ordinal) || item.Operations is null) continue;
            foreach (var operation in item.Operations.Values)
            {
                operation.Responses ??= new OpenApiResponses();
                foreach (var (status, description) in Problems)
                {
                    operation.Responses.TryAdd(status.ToString(), new OpenApiResponse
                    {
                        Description = description,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                        },
                    });
                }
            }
        }
    }
}
