using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Edge.Testing;

/// <summary>
/// The logging event ids an assembly declares: every <c>[LoggerMessage]</c> method's id, and the constants of its
/// <c>EventIds</c> list. Both must be free of duplicates and name the same ids, so that no two messages share one.
/// </summary>
public static class LoggingEventIds
{
    /// <summary>Every source-generated logging method of the assembly, as <c>Type.Method</c>, with its event id.</summary>
    public static IReadOnlyList<(string Method, int EventId)> Declared(Assembly assembly)
        => [.. assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => ($"{m.Method.DeclaringType!.Name}.{m.Method.Name}", m.Attribute!.EventId))
            .OrderBy(m => m.EventId)];

    /// <summary>The constants of the assembly's <c>EventIds</c> class (one per assembly, in its Diagnostics namespace).</summary>
    public static IReadOnlyList<(string Name, int EventId)> Listed(Assembly assembly)
    {
        var list = assembly.GetTypes().Single(t => t.Name == "EventIds" && t.Namespace?.EndsWith(".Diagnostics", StringComparison.Ordinal) == true);
        return [.. list.GetFields(BindingFlags.Static | BindingFlags.Public)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Select(f => (f.Name, EventId: (int)f.GetRawConstantValue()!))
            .OrderBy(f => f.EventId)];
    }

    /// <summary>Ids used more than once, each with the places that use it; empty when every id is unique.</summary>
    public static IReadOnlyList<string> Duplicates(IEnumerable<(string Where, int EventId)> ids)
        => [.. ids.GroupBy(i => i.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(i => i.Where))}")];

    /// <summary>
    /// What is wrong with an assembly's event ids: a logging method sharing its id with another, a constant listed
    /// twice, an id used but not listed or listed but not used. Empty when all is well.
    /// </summary>
    public static IReadOnlyList<string> Problems(Assembly assembly)
    {
        var declared = Declared(assembly);
        var listed = Listed(assembly);
        var problems = new List<string>();
        problems.AddRange(Duplicates(declared).Select(d => "used twice: " + d));
        problems.AddRange(Duplicates(listed).Select(d => "listed twice: " + d));
        problems.AddRange(declared.ExceptBy(listed.Select(l => l.EventId), d => d.EventId).Select(d => $"not in EventIds: {d.EventId} ({d.Method})"));
        problems.AddRange(listed.ExceptBy(declared.Select(d => d.EventId), l => l.EventId).Select(l => $"listed, never used: {l.EventId} ({l.Name})"));
        return problems;
    }
}
