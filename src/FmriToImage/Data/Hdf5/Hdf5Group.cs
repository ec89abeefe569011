namespace FmriToImage.Data.Hdf5;

/// <summary>An HDF5 group: its links (children) and attributes.</summary>
/// <remarks>Not thread-safe (navigation reads metadata); see <see cref="Hdf5File"/>.</remarks>
internal sealed class Hdf5Group
{
    /// <summary>
    /// The soft links one lookup may follow, nested ones included: libhdf5's default (H5L_NUM_LINKS), so a file
    /// libhdf5 opens opens here and a link bomb (links naming links many times over) stops after this many.
    /// </summary>
    internal const int MaxSoftLinks = 16;

    /// <summary>The path components one lookup may step through, those of followed soft links included.</summary>
    internal const int MaxPathSteps = 1024;

    private readonly Hdf5File _file;
    private readonly H5Context _ctx;
    private readonly long _address;
    private List<H5Message>? _messages;
    private List<H5Link>? _links;
    private List<Hdf5Attribute>? _attributes;

    internal Hdf5Group(Hdf5File file, H5Context ctx, string path, long address, List<H5Message>? messages = null)
    {
        _file = file;
        _ctx = ctx;
        Path = path;
        _address = address;
        _messages = messages;
    }

    /// <summary>The absolute path, e.g. <c>/</c> or <c>/a/b</c>.</summary>
    public string Path { get; }

    /// <summary>The names of the group's links, in storage order.</summary>
    public IReadOnlyList<string> ChildNames => Links.Select(l => l.Name).ToList();

    /// <summary>The group's attributes.</summary>
    internal IReadOnlyList<Hdf5Attribute> Attributes => _attributes ??= Hdf5Attribute.ReadAll(_ctx, Messages);

    private List<H5Message> Messages => _messages ??= H5ObjectHeader.Read(_ctx, _address);

    private List<H5Link> Links => _links ??= H5Links.Read(_ctx, Messages);

    /// <summary>The attribute named <paramref name="name"/>.</summary>
    /// <exception cref="Hdf5ObjectNotFoundException">No such attribute; the message lists the ones that exist.</exception>
    internal Hdf5Attribute Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name)
        ?? throw new Hdf5ObjectNotFoundException(_ctx.Path, name, $"{_ctx.Path}: {Path} has no attribute '{name}' (has: {string.Join(", ", Attributes.Select(a => a.Name))})");

    /// <summary>The child groups.</summary>
    public IEnumerable<Hdf5Group> Groups() => Children().OfType<Hdf5Group>();

    /// <summary>The child datasets.</summary>
    public IEnumerable<Hdf5Dataset> Datasets() => Children().OfType<Hdf5Dataset>();

    /// <summary>Every dataset below this group, depth first; a group reached twice (hard-link cycle) is visited once.</summary>
    public IEnumerable<Hdf5Dataset> AllDatasets()
    {
        var seen = new HashSet<long> { _address };
        var stack = new Stack<Hdf5Group>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var g = stack.Pop();
            foreach (var child in g.Children())
            {
                if (child is Hdf5Dataset d)
                {
                    yield return d;
                }
                else if (child is Hdf5Group sub && seen.Add(sub._address))
                {
                    stack.Push(sub);
                }
            }
        }
    }

    /// <summary>Opens the group at <paramref name="path"/>, relative to this group (or absolute when it starts with '/').</summary>
    /// <exception cref="Hdf5ObjectNotFoundException">Nothing at that path, or not a group.</exception>
    public Hdf5Group GetGroup(string path) => Resolve(path) as Hdf5Group
        ?? throw new Hdf5ObjectNotFoundException(_ctx.Path, path, $"{_ctx.Path}: {path} is a dataset, not a group");

    /// <summary>Opens the dataset at <paramref name="path"/>, relative to this group (or absolute when it starts with '/').</summary>
    /// <exception cref="Hdf5ObjectNotFoundException">Nothing at that path, or not a dataset.</exception>
    public Hdf5Dataset GetDataset(string path) => Resolve(path) as Hdf5Dataset
        ?? throw new Hdf5ObjectNotFoundException(_ctx.Path, path, $"{_ctx.Path}: {path} is a group, not a dataset");

    private IEnumerable<object> Children()
    {
        foreach (var link in Links)
        {
            if (link.IsExternal)
            {
                continue;
            }

            string childPath = Path == "/" ? "/" + link.Name : Path + "/" + link.Name;
            object? child;
            if (link.SoftTarget is null)
            {
                child = _file.OpenObject(childPath, link.Address);
            }
            else
            {
                try
                {
                    var budget = new LinkBudget(childPath) { SoftLinks = MaxSoftLinks - 1 };
                    child = Resolve(link.SoftTarget, budget);
                }
                catch (Hdf5ObjectNotFoundException)
                {
                    child = null; // a dangling soft link is listed by name but has no object
                }
            }

            if (child is not null)
            {
                yield return child;
            }
        }
    }

    private object Resolve(string path) => Resolve(path, new LinkBudget(path));

    private object Resolve(string path, LinkBudget budget)
    {
        Hdf5Group group = path.StartsWith('/') ? _file.Root : this;
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        object current = group;
        for (int i = 0; i < parts.Length; i++)
        {
            if (current is not Hdf5Group g)
            {
                throw new Hdf5ObjectNotFoundException(_ctx.Path, path, $"{_ctx.Path}: '{string.Join('/', parts[..i])}' in '{path}' is a dataset, not a group");
            }

            if (--budget.Steps < 0)
            {
                throw new Hdf5FormatException(_ctx.Path, g._address, $"too many links: looking up '{budget.Asked}' steps through more than {MaxPathSteps} path components (soft links included)");
            }

            H5Link link = g.Links.FirstOrDefault(l => l.Name == parts[i])
                ?? throw new Hdf5ObjectNotFoundException(_ctx.Path, path, $"{_ctx.Path}: {g.Path} has no member '{parts[i]}' (has: {string.Join(", ", g.Links.Select(l => l.Name))})");
            string childPath = g.Path == "/" ? "/" + link.Name : g.Path + "/" + link.Name;
            if (link.IsExternal)
            {
                throw new Hdf5NotSupportedException(_ctx.Path, $"external link {childPath}", "h5repack --merge in.h5 out.h5");
            }

            if (link.SoftTarget is not null && --budget.SoftLinks < 0)
            {
                throw new Hdf5FormatException(_ctx.Path, g._address,
                    $"too many links: looking up '{budget.Asked}' follows more than {MaxSoftLinks} soft links (a cycle or links naming links; libhdf5 stops at the same count)");
            }

            current = link.SoftTarget is not null
                ? g.Resolve(link.SoftTarget, budget)
                : _file.OpenObject(childPath, link.Address);
        }

        return current;
    }

    /// <summary>What one lookup may still spend, shared by the soft links it follows (libhdf5 counts the same way).</summary>
    private sealed class LinkBudget(string asked)
    {
        public string Asked { get; } = asked;

        public int SoftLinks { get; set; } = MaxSoftLinks;

        public int Steps { get; set; } = MaxPathSteps;
    }
}
