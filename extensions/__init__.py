"""The template's Jinja extensions, each module one job.

- context.py: what copier.yml installs, and the order each render's context is built in.
- answers.py: the checks of the answers to copier.yml's questions.
- update.py: what `copier update` refuses to change.
- service.py: the service a render goes into: its recorded answers, its readiness
  for a resource.
- resource.py: a resource (the built-in projects, or one a team adds): its names.
- fields.py: a resource's fields, parsed from its spec, and their types.
- field_changes.py: a change of a resource's fields on update, and its migration.
- layout.py: where each component lives in each layout.
- contracts.py: the import-linter contracts that encode the standard for a layout.
- toolchain.py: the versions a service runs and is checked with.
- formatting.py: the rendered Python, formatted by ruff as it renders.
- messages.py: what Copier prints when it is done.
- template.py: the file copier.yml names; it loads this folder as a package.
"""
