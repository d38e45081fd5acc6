-- Drives Neovim's built-in LSP client (0.7+) against `perflens lsp --stdio`: open a Python file,
-- wait for Perflens diagnostics, ask for code actions on the first one, and write what came back
-- as JSON for test/e2e/neovim.test.ts to check. Paths come from the environment.
local root = os.getenv('PERFLENS_NVIM_ROOT')
local out = os.getenv('PERFLENS_NVIM_OUT')
local cli = os.getenv('PERFLENS_CLI')

local function finish(result)
  local file = io.open(out, 'w')
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd('qall!')
end

local client_id = vim.lsp.start_client({
  name = 'perflens',
  cmd = { 'node', cli, 'lsp', '--stdio' },
  root_dir = root,
})
vim.cmd('edit ' .. root .. '/app.py')
vim.lsp.buf_attach_client(0, client_id)

local arrived = vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local result = { arrived = arrived, diagnostics = {}, actions = {} }
local diagnostics = vim.diagnostic.get(0)
for _, d in ipairs(diagnostics) do
  table.insert(result.diagnostics, { code = d.code, source = d.source, lnum = d.lnum, col = d.col, message = d.message })
end
if #diagnostics > 0 then
  local first = diagnostics[1]
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(0),
    range = { start = { line = first.lnum, character = first.col }, ['end'] = { line = first.end_lnum, character = first.end_col } },
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(0, first.lnum) },
  }
  local responses = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 10000) or {}
  for _, response in pairs(responses) do
    for _, action in ipairs(response.result or {}) do table.insert(result.actions, action.title) end
  end
end
vim.lsp.stop_client(client_id)
finish(result)
