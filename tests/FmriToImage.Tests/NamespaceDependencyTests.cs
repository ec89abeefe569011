using System.Reflection;
using System.Reflection.Emit;

namespace FmriToImage.Tests;

/// <summary>
/// Dependencies run one way (docs/architecture.md): read from the compiled library — every type a type's signatures,
/// fields, locals and method bodies (IL tokens) name — so a reference the compiler sees cannot hide.
/// </summary>
public sealed class NamespaceDependencyTests
{
    private static readonly Assembly Library = typeof(BrainDecoder).Assembly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Pipelines_never_reference_the_facade()
    {
        var offenders = References("FmriToImage.Pipelines").Where(r => r.To.Namespace == "FmriToImage").Select(r => $"{r.From} → {r.To}").ToArray();
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_request_and_result_records_reference_neither_the_facade_nor_the_pipelines()
    {
        var offenders = References("FmriToImage.Reconstructions")
            .Where(r => r.To.Namespace is "FmriToImage" or "FmriToImage.Pipelines")
            .Select(r => $"{r.From} → {r.To}")
            .ToArray();
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_facade_uses_the_pipelines_so_the_scan_sees_references()
    {
        // The check above is only as good as the scan: the facade's use of the table (a field type, a call) must show.
        var facade = References("FmriToImage").Select(r => r.To.FullName).ToHashSet();
        Assert.Contains("FmriToImage.Pipelines.PipelineTable", facade);
        Assert.Contains("FmriToImage.Pipelines.ResolvedRequest", facade);
    }

    /// <summary>Every (type, referenced library type) pair whose first type lies in <paramref name="ns"/> (nested and compiler-generated types count as their outer type's).</summary>
    private static IEnumerable<(Type From, Type To)> References(string ns)
    {
        foreach (var type in Library.GetTypes().Where(t => NamespaceOf(t) == ns))
        {
            foreach (var referenced in Referenced(type).Where(r => r.Assembly == Library && NamespaceOf(r) is not null))
            {
                yield return (type, Outermost(referenced));
            }
        }
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private static string? NamespaceOf(Type type) => Outermost(type).Namespace;

    private static HashSet<Type> Referenced(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter)
            {
                return;
            }

            if (t.HasElementType)
            {
                Add(t.GetElementType());
                return;
            }

            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }

                return;
            }

            found.Add(t);
        }

        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Add(type.BaseType);
        foreach (var contract in type.GetInterfaces())
        {
            Add(contract);
        }

        foreach (var field in type.GetFields(declared))
        {
            Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(declared))
        {
            Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(declared).Cast<MethodBase>().Concat(type.GetConstructors(declared)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            var body = method.GetMethodBody();
            if (body is null)
            {
                continue;
            }

            foreach (var local in body.LocalVariables)
            {
                Add(local.LocalType);
            }

            foreach (var member in Tokens(method, body.GetILAsByteArray() ?? []))
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case MethodBase m:
                        Add(m.DeclaringType);
                        if (m is MethodInfo mi)
                        {
                            Add(mi.ReturnType);
                            foreach (var argument in mi.IsGenericMethod ? mi.GetGenericArguments() : [])
                            {
                                Add(argument);
                            }
                        }

                        foreach (var parameter in m.GetParameters())
                        {
                            Add(parameter.ParameterType);
                        }

                        break;
                    case FieldInfo f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                }
            }
        }

        return found;
    }

    /// <summary>The members and types a method body's IL names (calls, field accesses, type tokens).</summary>
    private static IEnumerable<MemberInfo> Tokens(MethodBase method, byte[] il)
    {
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            var value = (short)il[i++];
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il[i++]));
            }

            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    yield return method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArguments, methodArguments)!;
                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }
}
