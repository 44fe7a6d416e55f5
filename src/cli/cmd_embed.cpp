// SPDX-License-Identifier: MIT
// `ilpkit embed` and `ilpkit extract`: raw data into the project and out again (surgery.md §2.4, §2.5).
#include <memory>

#include "commands.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct EmbedArgs {
  std::string project;
  EmbedOptions embed;
  ExtractOptions extract;
  SaveOptions save;
  bool uncompressed = false;
};

void add_save_options(CLI::App* cmd, const std::shared_ptr<EmbedArgs>& a) {
  cmd->add_option("project", a->project, "The .ilp project file")->required();
  add_edit_options(cmd, a->save);
}

}  // namespace

void register_embed(CLI::App& app) {
  auto a = std::make_shared<EmbedArgs>();
  auto* embed_cmd = app.add_subcommand(
      "embed",
      "Copy lanes' raw data into the project (ilastik's \"Copy into project file\" layout), so it runs without its "
      "data folder. Pixels, axes, nickname, labels and the classifier stay as they are.");
  add_save_options(embed_cmd, a);
  embed_cmd->add_option("--lane", a->embed.lanes, "Only this lane (0-based; repeatable)");
  embed_cmd->add_flag("--uncompressed", a->uncompressed, "Store without gzip, as ilastik itself does (default: gzip level 1)");
  embed_cmd->callback([a] {
    if (a->uncompressed) a->embed.gzip_level = -1;
    print_edit_report(embed(a->project, a->embed, a->save));
  });

  auto b = std::make_shared<EmbedArgs>();
  auto* extract_cmd = app.add_subcommand(
      "extract",
      "Move embedded lanes out of the project into HDF5 files (dataset 'data'), point the lanes at them, and rewrite "
      "the project without the embedded copies.");
  add_save_options(extract_cmd, b);
  extract_cmd->add_option("--lane", b->extract.lanes, "Only this lane (0-based; repeatable)");
  extract_cmd->add_option("--dir", b->extract.directory, "Folder for the files (default: <project folder>/<project name>_data)");
  extract_cmd->add_flag("--force", b->extract.force, "Replace files that exist already");
  extract_cmd->callback([b] {
    print_edit_report(extract(b->project, b->extract, b->save));
  });
}

}  // namespace ilpkit::cli
