using System.Text.Json;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace CrossLogic.ControlPlane.Hosting;

/// <summary>
/// Refuses a REST request whose JSON body names a field its message does not have, as grpcurl and the proto3 JSON
/// spec do. ASP.NET Core's JSON transcoding drops unknown fields without a word, so a misspelt
/// <c>requestPerMinute</c> would create an API key with no limit, and <c>{"replica":3}</c> would change nothing and
/// answer 200. Runs after routing, before the transcoded method: it reads the body the endpoint's HTTP rule binds
/// (<c>*</c> or one field) against that message's descriptor, at every depth, and leaves everything else (bodies that
/// are not JSON, over the admin API's message limit, well-known types such as <c>Timestamp</c>) to the transcoder.
/// </summary>
internal static class UnknownJsonFields
{
    /// <summary>The admin API's largest message (<c>MaxReceiveMessageSize</c>): larger bodies are the transcoder's to refuse.</summary>
    private const int MaxBodyBytes = 1 << 20;

    public static IApplicationBuilder UseUnknownJsonFieldsRefused(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is { } transcoding
            && BodyMessage(transcoding.MethodDescriptor.InputType, transcoding.HttpRule.Body) is { } message
            && context.Request.ContentLength is null or (> 0 and <= MaxBodyBytes)
            && await RefusalAsync(context.Request, message, context.RequestAborted).ConfigureAwait(false) is { } refusal)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.Body);
            json.WriteStartObject();
            json.WriteNumber("code", (int)Grpc.Core.StatusCode.InvalidArgument);
            json.WriteString("message", refusal);
            json.WriteStartArray("details");
            json.WriteEndArray();
            json.WriteEndObject();
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    /// <summary>The message the body binds: the request itself for <c>*</c>, a message field's type for a field name, else none.</summary>
    private static MessageDescriptor? BodyMessage(MessageDescriptor request, string body) => body switch
    {
        "" => null,
        "*" => request,
        _ => request.FindFieldByName(body) is { FieldType: FieldType.Message, IsRepeated: false } field ? field.MessageType : null,
    };

    /// <summary>Why the body is refused, or null: then it is left, rewound, to the transcoder.</summary>
    private static async Task<string?> RefusalAsync(HttpRequest request, MessageDescriptor message, CancellationToken cancellationToken)
    {
        request.EnableBuffering(bufferThreshold: 64 << 10, bufferLimit: MaxBodyBytes);
        string? unknown;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
            unknown = UnknownField(document.RootElement, message, "");
        }
        catch (JsonException)
        {
            unknown = null; // not JSON: the transcoder says so in its own words
        }
        catch (Exception ex) when (ex is IOException or BadHttpRequestException)
        {
            // Over the buffer's limit (a chunked body of unknown length), cut short or too slow: it cannot be rewound.
            return $"the request body could not be read, or is over {MaxBodyBytes} bytes: {ex.Message}";
        }

        request.Body.Position = 0;
        return unknown is null ? null : $"unknown field '{unknown}' in the request body (fields are the message's JSON or proto names)";
    }

    private static string? UnknownField(JsonElement value, MessageDescriptor message, string path)
    {
        if (value.ValueKind != JsonValueKind.Object || message.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal))
        {
            return null; // a type error is the transcoder's to report; well-known types have JSON forms of their own
        }

        foreach (var property in value.EnumerateObject())
        {
            var field = message.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == property.Name || f.Name == property.Name);
            var at = path.Length == 0 ? property.Name : path + "." + property.Name;
            if (field is null)
            {
                return at;
            }

            if (field.FieldType != FieldType.Message)
            {
                continue;
            }

            if (field.IsMap)
            {
                if (field.MessageType.FindFieldByNumber(2) is { FieldType: FieldType.Message } mapValue && property.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var entry in property.Value.EnumerateObject())
                    {
                        if (UnknownField(entry.Value, mapValue.MessageType, $"{at}[{entry.Name}]") is { } unknown)
                        {
                            return unknown;
                        }
                    }
                }
            }
            else if (field.IsRepeated)
            {
                if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    var index = 0;
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        if (UnknownField(item, field.MessageType, $"{at}[{index++}]") is { } unknown)
                        {
                            return unknown;
                        }
                    }
                }
            }
            else if (UnknownField(property.Value, field.MessageType, at) is { } unknown)
            {
                return unknown;
            }
        }

        return null;
    }
}
