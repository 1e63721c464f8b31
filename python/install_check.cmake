# CTest python_install: `cmake --install --component python` into a DESTDIR under the build
# tree, then `import convlab` from there (and not from the build tree) reports its version.
# cmake -DBUILD=... -DSITE=... -DPYTHON=... -DVERSION=... -P install_check.cmake
set(dest ${BUILD}/python-install-check)
file(REMOVE_RECURSE ${dest})
execute_process(COMMAND ${CMAKE_COMMAND} -E env DESTDIR=${dest} ${CMAKE_COMMAND} --install ${BUILD} --component python
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${dest}${SITE} ${PYTHON} -c
                  "import convlab, convlab.optim, convlab.schedules, convlab.federated, convlab.bilevel, convlab.ordinal; print(convlab.__version__, convlab.__file__)"
                WORKING_DIRECTORY ${dest} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^${VERSION} ${dest}")
  message(FATAL_ERROR "import convlab from the installed tree failed: ${out}${err}")
endif()
file(REMOVE_RECURSE ${dest})
