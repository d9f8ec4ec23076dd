-- links.lua: a pandoc filter that makes the repository's Markdown links work inside the
-- book. The page being converted is PAGE_DIR (set by build.sh through the metadata field
-- `source-dir`, relative to the repository root: "" for README.md, "chapters/NN_name" for a
-- chapter). Every relative link is resolved against it, then:
--   README.md                     -> index.html
--   chapters/NN_name/README.md    -> NN_name.html (the fragment kept)
--   plots/...                     -> plots/... (the book has its own copy of the figures)
--   anything else in the repo     -> REPO_ROOT/<path> (../../ for build/book/, so a
--                                    source file opens from the clone it was built in)
-- Links with a scheme (https:, mailto:) and pure fragments (#section) are left alone.

local source_dir = ""
local repo_root = "../../"  -- the repository, seen from the book's folder (build.sh sets it)

local function normalise(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      if #parts > 0 then table.remove(parts) end
    elseif part ~= "." then
      table.insert(parts, part)
    end
  end
  return table.concat(parts, "/")
end

local function rewrite(target)
  if target:match("^%a[%w+.-]*:") or target:match("^#") or target == "" then
    return target
  end
  local path, fragment = target:match("^([^#]*)(#?.*)$")
  local full = normalise(source_dir == "" and path or (source_dir .. "/" .. path))
  if full == "README.md" then return "index.html" .. fragment end
  local chapter = full:match("^chapters/([^/]+)/README%.md$")
  if chapter then return chapter .. ".html" .. fragment end
  if full:match("^plots/") then return full .. fragment end
  return repo_root .. full .. fragment
end

local function rewrite_raw_html(text)
  return (text:gsub('(src=")([^"]*)(")', function(a, src, b) return a .. rewrite(src) .. b end)
              :gsub('(href=")([^"]*)(")', function(a, href, b) return a .. rewrite(href) .. b end))
end

return {
  {
    Meta = function(meta)
      if meta["source-dir"] then source_dir = pandoc.utils.stringify(meta["source-dir"]) end
      if meta["repo-root"] then repo_root = pandoc.utils.stringify(meta["repo-root"]) end
    end,
  },
  {
    Link = function(el) el.target = rewrite(el.target); return el end,
    Image = function(el) el.src = rewrite(el.src); return el end,
    RawInline = function(el)
      if el.format == "html" then el.text = rewrite_raw_html(el.text) end
      return el
    end,
    RawBlock = function(el)
      if el.format == "html" then el.text = rewrite_raw_html(el.text) end
      return el
    end,
  },
}
